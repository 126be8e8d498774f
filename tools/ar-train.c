/* ar-train - train LightGCN, LightGCN+InfoNCE or AlphaRec (see lib/train.h). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ar.h"
#include "cli.h"
#include "config.h"
#include "train.h"

static const char *prog = "ar-train";

static void usage(FILE *f)
{
    fprintf(f,
"ar-train - train LightGCN, LightGCN+InfoNCE or AlphaRec on a dataset directory\n"
"           and its graph; keep the best validation epoch, test it\n"
"\n"
"Usage: ar-train --config FILE --data DIR --graph GRAPH.npz -o RUNDIR [options]\n"
"       ar-train --resume RUNDIR --data DIR --graph GRAPH.npz [--set epochs=N] [options]\n"
"       ar-train --project MODEL --text VECTORS.npy -o OUT.npy [-t N] [-q]\n"
"\n"
"Writes RUNDIR/user_emb.npy and item_emb.npy (the best epoch's final vectors, unit\n"
"rows when the score is cosine: rank them by dot product, e.g. with ar-rank),\n"
"model.npz (last epoch's parameters, Adam state, epoch, rng state: a checkpoint,\n"
"rewritten at every evaluation), log.jsonl (one record per evaluation: epoch, mean\n"
"loss, train/eval seconds, validation metrics) and summary.json (config as used,\n"
"dataset counts, best epoch, valid and test metrics at it, timings, peak memory).\n"
"Every file is written atomically (temp file + rename).\n"
"\n"
"Options:\n"
"  -c, --config FILE     JSON config (configs/<dataset>/<model>.json); optional\n"
"                        with --resume (then the checkpoint's config is used)\n"
"  -d, --data DIR        dataset directory written by ar-split (required)\n"
"  -g, --graph FILE      graph.npz written by ar-graph for DIR (required)\n"
"  -o, --output RUNDIR   run directory (required unless --resume: default = it)\n"
"  -s, --set KEY=VALUE   override a config key; VALUE is JSON if it parses, else a\n"
"                        string (e.g. --set epochs=10 --set 'monitors=[\"ndcg@20\"]'\n"
"                        --set which4best=ndcg@20); repeatable, applied in order\n"
"      --seed N          random seed (overrides the config's \"seed\"; default 1)\n"
"      --text FILE       item text vectors (I, D) .npy for alpharec (overrides \"text\")\n"
"      --resume RUNDIR   continue the run in RUNDIR from its model.npz (raise epochs\n"
"                        with --set); the result equals an uninterrupted run when\n"
"                        the stop epoch was an evaluation epoch of the longer run\n"
"      --init MODEL      start from the parameters of MODEL (a model.npz or a run\n"
"                        directory; same parameter names and shapes; fresh Adam,\n"
"                        epoch 0). With --set epochs=0 this is zero-shot: an alpharec\n"
"                        model trained on one dataset scores another dataset whose\n"
"                        text vectors come from the same language model; an mlp's\n"
"                        hidden size follows MODEL unless \"hidden\" is set\n"
"      --project MODEL   no training: write OUT.npy (n, d), the projector of the\n"
"                        alpharec MODEL applied to each row of --text (n, D), e.g.\n"
"                        users' intention texts for ar-rank --intent; all-zero rows\n"
"                        (no vector) stay zero\n"
"  -t, --threads N       threads (default 0 = all cores); results are reproducible\n"
"                        for a given seed and thread count\n"
"  -q, --quiet           no progress on stderr\n"
"  -h, --help            this help\n"
"      --version         print the version\n"
"\n"
"Config keys (default): model (required: lightgcn, lightgcn-infonce, alpharec),\n"
"  embedding_dim (64), num_layers (3), epochs (500), batch_size (2048),\n"
"  optimizer (adam), lr (0.001), weight_decay (0), wd_mode (l2 for lightgcn: batch\n"
"  L2 on ego rows; adam otherwise: Adam's coupled decay), tau (0.15), num_negs (1\n"
"  for lightgcn, must be 1; 256 otherwise), projector (mlp | linear), hidden (0 =\n"
"  text dim / 2), init_std (0.0001), eval_freq (5), monitors ([\"recall@10\",\n"
"  \"recall@20\",\"ndcg@10\",\"ndcg@20\"]; recall, ndcg, hit, precision, mrr),\n"
"  which4best (ndcg@20), score (dot for lightgcn, cosine otherwise: what both the\n"
"  loss and the ranking score, the propagated vectors or their unit rows), text,\n"
"  seed (1).\n"
"\n"
"Progress goes to stderr: a live line with ETA on a terminal, else one line per\n"
"evaluation.\n"
"\n"
"Exit codes: 0 ok, 1 bad data or runtime failure, 2 usage or config error,\n"
"3 I/O error.\n"
"\n"
"Examples:\n"
"  $ ar-train --config configs/beauty/lightgcn.json --data ds --graph graph.npz --set epochs=2 --set batch_size=64 -o run\n"
"  $ ar-train --resume run --data ds --graph graph.npz --set epochs=4 -q\n"
"  $ ar-train -c configs/beauty/alpharec.json -d ds -g graph.npz --text text.npy --set epochs=2 --set batch_size=64 --set num_negs=8 -t 1 -q -o run-alpha\n"
"  $ ar-train -c configs/beauty/lightgcn-infonce.json -d ds -g graph.npz --set epochs=1 --set 'monitors=[\"hit@5\",\"ndcg@5\"]' --set which4best=hit@5 --seed 7 -q -o run-nce\n"
"  $ ar-train -c configs/beauty/alpharec.json -d ds -g graph.npz --text text.npy --init run-alpha --set epochs=0 -t 1 -q -o zero-shot\n"
"  $ ar-train --project run-alpha --text text.npy -o projected.npy -q\n"
"  $ grep best_epoch run/summary.json\n");
}

/* ---- progress ---- */
typedef struct prog_state {
    int tty;
    double last_draw;
    int drawn;
    double last_metric;
    int have_metric;
} prog_state;

static void fmt_secs(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%.1fs", s);
}

static void on_progress(void *ctx, const train_progress *p)
{
    prog_state *st = ctx;
    char eta[32];
    fmt_secs(p->eta, eta, sizeof eta);
    if (p->kind == TP_EVAL) {
        st->last_metric = p->metric;
        st->have_metric = 1;
        if (!st->tty) {
            char loss[32];
            if (isfinite(p->loss)) snprintf(loss, sizeof loss, "%.5f", p->loss);
            else snprintf(loss, sizeof loss, "-");
            fprintf(stderr, "%s: epoch %d/%d  loss %s  valid %s %.5f (best %.5f @ %d)  train %.2fs eval %.2fs  ETA %s\n",
                    prog, p->epoch, p->epochs, loss, p->metric_name, p->metric, p->best_metric, p->best_epoch,
                    p->train_seconds, p->eval_seconds, eta);
            return;
        }
    }
    if (p->kind == TP_TEST) {
        if (st->tty && st->drawn) fprintf(stderr, "\n");
        st->drawn = 0;
        fprintf(stderr, "%s: test %s %.5f at best epoch %d (valid %.5f)  total %.1fs\n", prog, p->metric_name,
                p->metric, p->best_epoch, p->best_metric, p->elapsed);
        return;
    }
    if (!st->tty) return;
    double now = ar_now();
    if (p->kind == TP_BATCH && p->batch < p->n_batches && now - st->last_draw < 0.2) return;
    st->last_draw = now;
    char m[64] = "";
    if (st->have_metric) snprintf(m, sizeof m, "  valid %s %.5f (best %.5f @ %d)", p->metric_name, st->last_metric,
                                  p->best_metric, p->best_epoch);
    if (p->kind == TP_BATCH)
        fprintf(stderr, "\r%s: epoch %d/%d batch %lld/%lld  loss %.5f%s  ETA %s\033[K", prog, p->epoch, p->epochs,
                (long long)p->batch, (long long)p->n_batches, p->loss, m, eta);
    else
        fprintf(stderr, "\r%s: epoch %d/%d evaluated%s  ETA %s\033[K", prog, p->epoch, p->epochs, m, eta);
    fflush(stderr);
    st->drawn = 1;
}

enum { O_SEED = 256, O_TEXT, O_RESUME, O_INIT, O_PROJECT, O_VERSION };

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"data", required_argument, 0, 'd'},
        {"graph", required_argument, 0, 'g'},  {"output", required_argument, 0, 'o'},
        {"set", required_argument, 0, 's'},    {"seed", required_argument, 0, O_SEED},
        {"text", required_argument, 0, O_TEXT}, {"resume", required_argument, 0, O_RESUME},
        {"init", required_argument, 0, O_INIT}, {"project", required_argument, 0, O_PROJECT},
        {"threads", required_argument, 0, 't'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {"version", no_argument, 0, O_VERSION},
        {0, 0, 0, 0}};
    const char *config = NULL, *data = NULL, *graph_path = NULL, *out = NULL, *text = NULL, *resume = NULL;
    const char *seed_arg = NULL, *init = NULL, *project = NULL;
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int nsets = 0, quiet = 0;
    int64_t threads = 0;
    if (!sets) return cli_error(prog, AR_EDATA, "out of memory");
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":c:d:g:o:s:t:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': config = optarg; break;
        case 'd': data = optarg; break;
        case 'g': graph_path = optarg; break;
        case 'o': out = optarg; break;
        case 's': sets[nsets++] = optarg; break;
        case O_SEED: seed_arg = optarg; break;
        case O_TEXT: text = optarg; break;
        case O_RESUME: resume = optarg; break;
        case O_INIT: init = optarg; break;
        case O_PROJECT: project = optarg; break;
        case 't':
            if (cli_parse_i64(optarg, 0, 4096, &threads)) {
                free(sets);
                return cli_usage(prog, "-t/--threads: expected an integer in [0, 4096], got '%s'", optarg);
            }
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); free(sets); return cli_flush_stdout(prog);
        case O_VERSION: free(sets); return cli_version(prog);
        case ':': free(sets); return cli_usage(prog, "option '%s' needs a value", argv[optind - 1]);
        default: free(sets); return cli_usage(prog, "unknown option '%s'", argv[optind - 1]);
        }
    }
    int rc = AR_OK;
    if (project) {
        /* projection mode: no training, no dataset */
        free(sets);
        if (optind < argc) return cli_usage(prog, "unexpected argument '%s'", argv[optind]);
        if (!text) return cli_usage(prog, "--project needs --text FILE (the vectors to project)");
        if (!out) return cli_usage(prog, "--project needs -o OUT.npy");
        if (config || data || graph_path || resume || init || nsets || seed_arg)
            return cli_usage(prog, "--project takes only --text, -o and -t (the model carries its own config)");
        ar_threads_init((int)threads);
        ar_err e = {0};
        rc = train_project(project, text, out, &e);
        if (rc) fprintf(stderr, "%s: %s\n", prog, e.msg);
        else if (!quiet) fprintf(stderr, "%s: projected %s through %s into %s\n", prog, text, project, out);
        return rc;
    }
    if (optind < argc) rc = cli_usage(prog, "unexpected argument '%s'", argv[optind]);
    else if (resume && init) rc = cli_usage(prog, "--init and --resume exclude each other (a resumed run has its parameters)");
    else if (!config && !resume) rc = cli_usage(prog, "--config FILE is required (or --resume RUNDIR)");
    else if (!data) rc = cli_usage(prog, "--data DIR is required");
    else if (!graph_path) rc = cli_usage(prog, "--graph FILE is required");
    else if (!out && !resume) rc = cli_usage(prog, "-o RUNDIR is required");
    if (rc) {
        free(sets);
        return rc;
    }
    if (!out) out = resume;

    ar_err e = {0};
    train_config c;
    config_init(&c);
    const char *src = config;
    char srcbuf[4200];
    if (config) rc = config_load(&c, config, &e);
    else {
        rc = train_config_from_run(&c, resume, &e);
        snprintf(srcbuf, sizeof srcbuf, "%s/model.npz (config)", resume);
        src = srcbuf;
    }
    /* the checkpoint's resolved hidden size is used only if no --set overrides it */
    for (int i = 0; !rc && i < nsets; i++) rc = config_set(&c, sets[i], &e);
    if (!rc && seed_arg) {
        int64_t v;
        if (seed_arg[0] == '-' || cli_parse_i64(seed_arg, 0, INT64_C(9007199254740992), &v)) {
            free(sets);
            return cli_usage(prog, "--seed: expected an integer in [0, 2^53], got '%s'", seed_arg);
        }
        c.seed = (uint64_t)v;
        c.set |= 1u << CK_SEED;
    }
    if (!rc && text) {
        if (strlen(text) >= sizeof c.text) {
            free(sets);
            return cli_usage(prog, "--text: path too long: '%.100s'", text);
        }
        snprintf(c.text, sizeof c.text, "%s", text);
        c.set |= 1u << CK_TEXT;
    }
    if (!rc) rc = config_finish(&c, src, &e);
    free(sets);
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        return rc;
    }

    if (quiet) ar_log_set(NULL);
    int nth = ar_threads_init((int)threads);
    prog_state ps = {.tty = isatty(2)};
    train_opts o = {.data_dir = data, .graph_path = graph_path, .out_dir = out, .resume_dir = resume, .init_path = init,
                    .config_src = src, .threads = nth, .progress = quiet ? NULL : on_progress,
                    .progress_ctx = &ps};
    rc = train_run(&c, &o, &e);
    if (rc) {
        if (ps.tty && ps.drawn) fprintf(stderr, "\n");
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        return rc;
    }
    return 0;
}

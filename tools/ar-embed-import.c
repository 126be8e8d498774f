/* ar-embed-import - item embeddings from any language model, aligned to a dataset's
 * items.txt, written as a float32 (n_items, dim) .npy plus a JSON sidecar. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "embed.h"
#include "io.h"
#include "npy.h"

static const char *prog = "ar-embed-import";

static void usage(FILE *f)
{
    fprintf(f,
"ar-embed-import - align item embeddings from any language model to a dataset's items.txt.\n"
"\n"
"Usage: ar-embed-import (--items ITEMS.txt | --data DIR) [options] INPUT -o OUT.npy\n"
"\n"
"Writes OUT.npy, float32 (n_items, dim), whose row k belongs to line k of items.txt,\n"
"and OUT.npy.json describing the import (source, sha256, format, coverage, options).\n"
"\n"
"Input formats (by extension unless --format is given):\n"
"  npy          .npy .npy.gz    float16/32/64, C or Fortran order       rows in order\n"
"  npz          .npz            one array (choose with --name)          rows in order\n"
"  safetensors  .safetensors    F16/BF16/F32/F64 tensor (--name)        rows in order\n"
"  jsonl        .jsonl .json    {\"id\": ..., \"embedding\": [...]} a line  by id\n"
"  w2v          .vec            word2vec/fastText text, GloVe text      by id\n"
"  w2v-bin      .bin            word2vec binary                         by id\n"
"  tsv          .tsv            id<TAB>v1 v2 ... (optional header)      by id\n"
"  recbole      .itememb .item  RecBole atomic file, id:token + x:float_seq  by id\n"
"  .txt files are sniffed from their first line (recbole, jsonl, w2v or tsv).\n"
"Row-ordered inputs need --ids (the id of each row, one a line), or exactly one row\n"
"per item of items.txt, taken in order. Keyed inputs are matched by id; ids not in\n"
"the dataset are ignored and counted. Half and bfloat16 inputs are converted; the\n"
"output is always float32. For a pickled torch tensor or parquet, see the README.\n"
"\n"
"Options:\n"
"  --items FILE          the dataset's items.txt (line k = raw id of item k)\n"
"  --data DIR            same as --items DIR/items.txt\n"
"  -o, --output FILE     output .npy (.npy.gz compresses; '-' = stdout, no sidecar); required\n"
"  -f, --format NAME     npy|npz|safetensors|jsonl|w2v|w2v-bin|tsv|recbole (default: by extension)\n"
"      --ids FILE        row ids of an npy/npz/safetensors input (default: rows in items order)\n"
"      --name NAME       array of an .npz / tensor of a safetensors file (default: the only one)\n"
"      --id-field NAME   JSON Lines id field (default \"id\"); RecBole id column (default: first :token)\n"
"      --vec-field NAME  JSON Lines vector field (default \"embedding\"); RecBole column (default: first :float_seq)\n"
"      --missing POLICY  items without a vector: error (default), zero (zero rows), mean (mean of found rows)\n"
"      --normalize       L2-normalise every output row (after filling; zero rows stay zero)\n"
"  -q, --quiet           no log on stderr\n"
"  -h, --help            this help\n"
"      --version         print the version\n"
"\n"
"Exit status: 0 ok, 1 bad data, 2 usage error, 3 I/O error.\n"
"\n"
"Examples:\n"
"  $ ar-embed-import --items items.txt vectors.tsv -o emb.npy\n"
"  $ ar-embed-import --items items.txt emb.npy -o item_text.npy\n"
"  $ ar-embed-import --data data --ids ids.txt all.npy --missing mean --normalize -o item_text.npy\n"
"  $ ar-embed-import --data data vectors.jsonl --id-field asin --vec-field emb -o item_text.npy\n"
"  $ ar-embed-import --items items.txt glove.txt --format w2v --missing zero -o glove.npy\n");
}

int main(int argc, char **argv)
{
    enum { O_ITEMS = 256, O_DATA, O_IDS, O_NAME, O_IDF, O_VECF, O_MISSING, O_NORM, O_VERSION };
    static const struct option opts[] = {
        {"items", required_argument, 0, O_ITEMS}, {"data", required_argument, 0, O_DATA},
        {"output", required_argument, 0, 'o'},    {"format", required_argument, 0, 'f'},
        {"ids", required_argument, 0, O_IDS},     {"name", required_argument, 0, O_NAME},
        {"id-field", required_argument, 0, O_IDF}, {"vec-field", required_argument, 0, O_VECF},
        {"missing", required_argument, 0, O_MISSING}, {"normalize", no_argument, 0, O_NORM},
        {"quiet", no_argument, 0, 'q'},           {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, O_VERSION},   {0, 0, 0, 0}};
    emb_opts o;
    memset(&o, 0, sizeof o);
    const char *items = NULL, *data = NULL, *out = NULL;
    int c, quiet = 0;
    while ((c = getopt_long(argc, argv, "o:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_ITEMS: items = optarg; break;
        case O_DATA: data = optarg; break;
        case 'o': out = optarg; break;
        case 'f': {
            int f = emb_format_parse(optarg);
            if (f < 0) return cli_usage(prog, "unknown --format '%s' (expected %s)", optarg, emb_format_list());
            o.format = (emb_format)f;
            break;
        }
        case O_IDS: o.ids_path = optarg; break;
        case O_NAME: o.name = optarg; break;
        case O_IDF: o.id_field = optarg; break;
        case O_VECF: o.vec_field = optarg; break;
        case O_MISSING:
            if (strcmp(optarg, "error") == 0) o.missing = EMB_MISSING_ERROR;
            else if (strcmp(optarg, "zero") == 0) o.missing = EMB_MISSING_ZERO;
            else if (strcmp(optarg, "mean") == 0) o.missing = EMB_MISSING_MEAN;
            else return cli_usage(prog, "unknown --missing '%s' (expected error, zero or mean)", optarg);
            break;
        case O_NORM: o.normalize = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return cli_flush_stdout(prog);
        case O_VERSION: return cli_version(prog);
        default: return cli_try_help(prog);
        }
    }
    if (items && data) return cli_usage(prog, "give --items or --data, not both");
    if (!items && !data) return cli_usage(prog, "the dataset's items are required: --items FILE or --data DIR");
    if (!out) return cli_usage(prog, "an output file is required: -o OUT.npy");
    if (optind >= argc) return cli_usage(prog, "an input file of embeddings is required");
    if (optind + 1 < argc)
        return cli_usage(prog, "one input file expected, got %d (first extra: '%s')", argc - optind, argv[optind + 1]);
    const char *src = argv[optind];
    char items_buf[4096];
    if (data) {
        if ((size_t)snprintf(items_buf, sizeof items_buf, "%s/items.txt", data) >= sizeof items_buf)
            return cli_usage(prog, "--data path too long");
        items = items_buf;
    }
    cli_log_init(prog, quiet);

    ar_err e = {0};
    emb_result r;
    int rc = emb_import(items, src, &o, &r, &e);
    if (rc) return cli_error(prog, rc, e.msg);
    if (r.by_order)
        ar_log("%s has one row per item of %s and no --ids: rows taken in items order", src, items);
    rc = npy_write_f32(out, r.emb, r.n_items, r.dim, &e);
    if (!rc && strcmp(out, "-") != 0) {
        char side[4200];
        if ((size_t)snprintf(side, sizeof side, "%s.json", out) >= sizeof side) {
            rc = ar_fail(&e, AR_EUSAGE, "output path too long");
        } else if ((rc = emb_write_sidecar(side, src, items, out, &o, &r, &e))) {
            unlink(out); /* no output without its description */
        }
    }
    if (rc) { emb_result_free(&r); return cli_error(prog, rc, e.msg); }
    static const char *const miss[] = {"error", "zero", "mean"};
    ar_log("%s (%s%s%s): %lld/%lld items covered (%.2f%%), %lld source ids not in the dataset ignored, "
           "%lld filled (--missing %s); dim %lld%s; wrote %s",
           src, emb_format_name(r.format), strcmp(r.source_dtype, "text") ? ", " : "",
           strcmp(r.source_dtype, "text") ? r.source_dtype : "", (long long)r.found, (long long)r.n_items,
           100.0 * (double)r.found / (double)r.n_items, (long long)r.unknown, (long long)r.filled, miss[o.missing],
           (long long)r.dim, o.normalize ? ", rows L2-normalised" : "", out);
    emb_result_free(&r);
    return 0;
}

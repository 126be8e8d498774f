/* ar-split - raw interactions in, a dataset directory out (see lib/split.h). */
#include <float.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar.h"
#include "cli.h"
#include "io.h"
#include "split.h"

static const char *prog = "ar-split";

static void usage(FILE *f)
{
    fprintf(f,
"ar-split - turn raw user-item interactions into a dataset directory\n"
"           (filter, remap ids, order by time, split train/valid/test per user)\n"
"\n"
"Usage: ar-split [options] -o DIR INPUT...\n"
"       ar-split --format lgcn|mmrec [options] -o DIR (INPUT_DIR | --train F --valid F --test F)\n"
"\n"
"Writes DIR/users.txt, items.txt (line k = raw id of index k), train.npy, valid.npy,\n"
"test.npy (int32 [n,2] rows (user, item), grouped by user, each user's rows in time\n"
"order) and dataset.json (counts, filters, mode, input sha256, has_duplicates).\n"
"DIR is written atomically (DIR.tmp.<pid>, then renamed); on error nothing is left.\n"
"Several INPUT files of one format are read as one table, in the order given.\n"
"INPUT may be gzipped; '-' reads stdin.\n"
"\n"
"Options:\n"
"  -o, --output DIR        output dataset directory (required)\n"
"      --force             replace DIR if it exists (only if it holds a dataset.json\n"
"                          or is empty)\n"
"  -f, --format FMT        auto (default), amazon, recbole, tsv, csv, seq, lgcn, mmrec\n"
"                          auto: a directory -> mmrec (train.json) or lgcn (cf_data/,\n"
"                          train.txt); *.inter -> recbole; *.csv -> csv; a first line\n"
"                          starting with '{' -> amazon; tsv and seq must be named\n"
"  -m, --mode MODE         ROU (default), RAU or LOU, per user on time-ordered rows\n"
"  -r, --ratios A,B,C      integer train,valid,test ratios (default 8,1,1)\n"
"      --min-rating X      keep rows with rating >= X (default 0 = keep all; rows\n"
"                          without a rating always pass)\n"
"      --kcore-user N      iterative k-core: users need >= N rows (default 0 = off)\n"
"      --kcore-item N      items need >= N rows (default 0 = off); freerec's\n"
"                          Beauty/Baby recipe is --kcore-user 5 --kcore-item 5\n"
"  recbole (.inter, tab-separated, header fields name:type):\n"
"      --user-field NAME   default user_id\n"
"      --item-field NAME   default item_id\n"
"      --rating-field NAME default rating (optional unless given)\n"
"      --time-field NAME   default timestamp (optional unless given)\n"
"  tsv / csv:\n"
"      --cols LIST         user,item[,rating[,time]] as 1-based column numbers, or\n"
"                          header names with --header; '-' or empty = absent\n"
"                          (default 1,2; no time column = file order)\n"
"      --sep C             field separator, one character or 'tab' (default tab for\n"
"                          tsv, ',' for csv; csv also honours \"quoted\" fields)\n"
"      --header            the first line is a header\n"
"  pre-split (ids kept as given, no filtering, no re-splitting):\n"
"      --train F, --valid F, --test F   the three files (instead of INPUT_DIR)\n"
"      --user-map F, --item-map F       mmrec user2id.json / item2id.json (found\n"
"                                       automatically in INPUT_DIR)\n"
"  -q, --quiet             no summary line on stderr\n"
"  -h, --help              this help\n"
"      --version           print the version\n"
"\n"
"Modes (n = rows of a user, s = A+B+C, exact integer floors):\n"
"  ROU  train = first l rows, valid = next r-l, test = rest, with\n"
"       l = max(floor(A n/s), 1), r = max(floor((A+B) n/s), l)   (n=5 -> 4/0/1)\n"
"  RAU  l = max(min(floor(A n/s), n-2), 1), r = max(min(floor((A+B) n/s), n-1), l)\n"
"       (n=5 -> 3/1/1: at least one valid and one test row when n >= 3)\n"
"  LOU  last row test, second to last valid; users with <= 3 rows all train\n"
"\n"
"Exit codes: 0 ok, 1 bad data, 2 usage error, 3 I/O error.\n"
"\n"
"Examples:\n"
"  $ printf 'u1 a b c d e\\nu2 b c d e a f\\n' > seq.txt\n"
"  $ ar-split --format seq --mode RAU -o ds seq.txt\n"
"  $ ar-split --format seq --kcore-user 5 --kcore-item 2 --force -o ds seq.txt\n"
"  $ printf 'user_id:token\\titem_id:token\\trating:float\\ttimestamp:float\\nu1\\ti1\\t5\\t10\\nu1\\ti2\\t4\\t11\\n' > x.inter\n"
"  $ ar-split --min-rating 4 -o ds2 x.inter\n"
"  $ printf 'user,item,stars\\nu1,i1,5\\nu1,i2,3\\nu2,i1,4\\n' > r.csv\n"
"  $ ar-split --format csv --header --cols user,item,stars -q -o ds3 r.csv\n"
"  $ cat ds/dataset.json\n");
}

static int parse_ratios(const char *s, int64_t r[3])
{
    char buf[128];
    if (strlen(s) >= sizeof buf) return -1;
    strcpy(buf, s);
    char *p = buf;
    for (int k = 0; k < 3; k++) {
        char *c = strchr(p, ',');
        if ((k < 2) != (c != NULL)) return -1;
        if (c) *c = 0;
        if (cli_parse_i64(p, 0, 1000000, &r[k])) return -1;
        p = c ? c + 1 : p;
    }
    return r[0] >= 1 ? 0 : -1;
}

enum {
    O_FORCE = 256, O_MINR, O_KU, O_KI, O_UF, O_IF, O_RF, O_TF, O_COLS, O_SEP, O_HEADER,
    O_TRAIN, O_VALID, O_TEST, O_UMAP, O_IMAP, O_VERSION
};

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"force", no_argument, 0, O_FORCE},
        {"format", required_argument, 0, 'f'}, {"mode", required_argument, 0, 'm'},
        {"ratios", required_argument, 0, 'r'}, {"min-rating", required_argument, 0, O_MINR},
        {"kcore-user", required_argument, 0, O_KU}, {"kcore-item", required_argument, 0, O_KI},
        {"user-field", required_argument, 0, O_UF}, {"item-field", required_argument, 0, O_IF},
        {"rating-field", required_argument, 0, O_RF}, {"time-field", required_argument, 0, O_TF},
        {"cols", required_argument, 0, O_COLS}, {"sep", required_argument, 0, O_SEP},
        {"header", no_argument, 0, O_HEADER}, {"train", required_argument, 0, O_TRAIN},
        {"valid", required_argument, 0, O_VALID}, {"test", required_argument, 0, O_TEST},
        {"user-map", required_argument, 0, O_UMAP}, {"item-map", required_argument, 0, O_IMAP},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, O_VERSION}, {0, 0, 0, 0}};
    const char *out = NULL, *files3[3] = {NULL, NULL, NULL}, *umap = NULL, *imap = NULL;
    int force = 0, quiet = 0, c;
    split_format fmt = SPLIT_FMT_AUTO;
    split_params P = {SPLIT_ROU, {8, 1, 1}, 0.0, 0, 0};
    split_read_opts RO;
    memset(&RO, 0, sizeof RO);
    while ((c = getopt_long(argc, argv, "o:f:m:r:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case O_FORCE: force = 1; break;
        case 'f':
            if (split_format_parse(optarg, &fmt)) return cli_usage(prog, "unknown --format '%s' (amazon, recbole, tsv, csv, seq, lgcn, mmrec, auto)", optarg);
            break;
        case 'm':
            if (split_mode_parse(optarg, &P.mode)) return cli_usage(prog, "unknown --mode '%s' (ROU, RAU, LOU)", optarg);
            break;
        case 'r':
            if (parse_ratios(optarg, P.ratios)) return cli_usage(prog, "--ratios '%s': expected three integers A,B,C with A >= 1, e.g. 8,1,1", optarg);
            break;
        case O_MINR:
            if (cli_parse_double(optarg, -DBL_MAX, DBL_MAX, &P.min_rating)) return cli_usage(prog, "--min-rating '%s': expected a number", optarg);
            break;
        case O_KU:
        case O_KI: {
            int64_t v;
            if (cli_parse_i64(optarg, 0, INT32_MAX, &v)) return cli_usage(prog, "--kcore-*: '%s' is not an integer in 0..2147483647", optarg);
            if (c == O_KU) P.kcore_user = v;
            else P.kcore_item = v;
            break;
        }
        case O_UF: RO.user_field = optarg; break;
        case O_IF: RO.item_field = optarg; break;
        case O_RF: RO.rating_field = optarg; RO.rating_required = 1; break;
        case O_TF: RO.time_field = optarg; RO.time_required = 1; break;
        case O_COLS: RO.cols = optarg; break;
        case O_SEP:
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0) RO.sep = '\t';
            else if (strlen(optarg) == 1 && optarg[0] != '\n' && optarg[0] != '"') RO.sep = optarg[0];
            else return cli_usage(prog, "--sep '%s': expected one character or 'tab'", optarg);
            break;
        case O_HEADER: RO.header = 1; break;
        case O_TRAIN: files3[0] = optarg; break;
        case O_VALID: files3[1] = optarg; break;
        case O_TEST: files3[2] = optarg; break;
        case O_UMAP: umap = optarg; break;
        case O_IMAP: imap = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return cli_flush_stdout(prog);
        case O_VERSION: return cli_version(prog);
        default: return cli_try_help(prog);
        }
    }
    if (quiet) ar_log_set(NULL);
    if (!out) return cli_usage(prog, "missing -o DIR (the output dataset directory)");
    int nin = argc - optind;
    int given3 = (files3[0] != NULL) + (files3[1] != NULL) + (files3[2] != NULL);
    if (given3 && given3 != 3) return cli_usage(prog, "--train, --valid and --test go together");
    if (given3 && nin) return cli_usage(prog, "give either --train/--valid/--test or INPUT, not both");
    if (!given3 && nin == 0) return cli_usage(prog, "no INPUT given");
    ar_err e = {0};
    if (fmt == SPLIT_FMT_AUTO) {
        if (given3) fmt = ar_has_suffix(files3[0], ".json") || ar_has_suffix(files3[0], ".json.gz") ? SPLIT_FMT_MMREC : SPLIT_FMT_LGCN;
        else if (split_detect(argv[optind], &fmt, &e)) return cli_fail(prog, &e);
    }
    int presplit = fmt == SPLIT_FMT_LGCN || fmt == SPLIT_FMT_MMREC;
    if (given3 && !presplit) return cli_usage(prog, "--train/--valid/--test are for --format lgcn or mmrec, not %s", split_format_name(fmt));
    if (presplit && nin > 1) return cli_usage(prog, "--format %s takes one INPUT_DIR", split_format_name(fmt));
    if ((umap || imap) && fmt != SPLIT_FMT_MMREC) return cli_usage(prog, "--user-map/--item-map are for --format mmrec");

    split_result S;
    memset(&S, 0, sizeof S);
    split_input *inputs = NULL;
    int n_inputs = 0, rc;
    char *found[5] = {NULL, NULL, NULL, NULL, NULL};
    if (presplit) {
        n_inputs = 5;
        inputs = calloc(5, sizeof *inputs);
        if (!inputs) return cli_error(prog, AR_EDATA, "out of memory");
        const char *f3[3] = {files3[0], files3[1], files3[2]};
        rc = AR_OK;
        if (!given3) {
            rc = split_presplit_files(argv[optind], fmt, found, &e);
            for (int k = 0; k < 3; k++) f3[k] = found[k];
            if (!umap) umap = found[3];
            if (!imap) imap = found[4];
        }
        if (!rc) {
            if (fmt == SPLIT_FMT_LGCN) rc = split_read_lgcn(f3, &S, inputs, &e);
            else rc = split_read_mmrec(f3, umap, imap, &S, inputs, &e);
        }
    } else {
        n_inputs = nin;
        inputs = calloc((size_t)nin, sizeof *inputs);
        if (!inputs) return cli_error(prog, AR_EDATA, "out of memory");
        split_raw R;
        memset(&R, 0, sizeof R);
        rc = AR_OK;
        for (int k = 0; k < nin && !rc; k++) rc = split_read(argv[optind + k], fmt, &RO, &R, &inputs[k], &e);
        if (!rc) rc = split_build(&R, &P, nin == 1 ? ar_display_name(argv[optind]) : "inputs", &S, &e);
        split_raw_free(&R);
    }
    char *json = NULL;
    if (!rc) {
        split_meta M = {fmt, presplit ? NULL : &P, inputs, n_inputs};
        json = split_meta_json(&S, &M, &e);
        if (!json) rc = e.code ? e.code : AR_EDATA;
    }
    if (!rc) rc = split_write_dir(out, force, &S, json, &e);
    if (rc) {
        cli_error(prog, rc, e.msg);
    } else if (!quiet) {
        if (presplit)
            fprintf(stderr, "%s: %s (%s, pre-split): %lld users, %lld items, %lld interactions; train/valid/test %lld / %lld / %lld; duplicates: %s\n",
                    prog, out, split_format_name(fmt), (long long)S.n_users, (long long)S.n_items,
                    (long long)(S.count[0] + S.count[1] + S.count[2]), (long long)S.count[0], (long long)S.count[1],
                    (long long)S.count[2], S.has_duplicates ? "yes" : "no");
        else {
            char rs[80] = "";
            if (P.mode != SPLIT_LOU) snprintf(rs, sizeof rs, " %lld,%lld,%lld", (long long)P.ratios[0], (long long)P.ratios[1], (long long)P.ratios[2]);
            fprintf(stderr, "%s: %s (%s, %s%s, min rating %g, k-core %lld/%lld in %d rounds): %lld rows read, %lld users, %lld items, %lld interactions; train/valid/test %lld / %lld / %lld; duplicates: %s\n",
                    prog, out, split_format_name(fmt), split_mode_name(P.mode), rs, P.min_rating, (long long)P.kcore_user, (long long)P.kcore_item, S.kcore_rounds,
                    (long long)S.n_raw, (long long)S.n_users, (long long)S.n_items,
                    (long long)(S.count[0] + S.count[1] + S.count[2]), (long long)S.count[0], (long long)S.count[1],
                    (long long)S.count[2], S.has_duplicates ? "yes" : "no");
        }
    }
    free(json);
    split_result_free(&S);
    for (int k = 0; k < n_inputs; k++) free(inputs[k].path);
    free(inputs);
    for (int k = 0; k < 5; k++) free(found[k]);
    return rc;
}

/* test_config.c - ar-train configs: defaults per model, every error class, --set. */
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "projector.h"
#include "t.h"

/* Apply JSON text as file "cfg.json" then config_finish; returns the error code. */
static int load(train_config *c, const char *json, ar_err *e)
{
    config_init(c);
    memset(e, 0, sizeof *e);
    int rc = config_apply_text(c, json, strlen(json), "cfg.json", e);
    if (!rc) rc = config_finish(c, "cfg.json", e);
    return rc;
}

/* Expect failure with code and message containing both fragments. */
static void expect_err(const char *json, const char *frag1, const char *frag2)
{
    train_config c;
    ar_err e;
    int rc = load(&c, json, &e);
    CHECK(rc == AR_EUSAGE, "%s: expected a usage error, got rc %d", json, rc);
    CHECK(strstr(e.msg, frag1) != NULL, "%s: message '%s' lacks '%s'", json, e.msg, frag1);
    if (frag2) CHECK(strstr(e.msg, frag2) != NULL, "%s: message '%s' lacks '%s'", json, e.msg, frag2);
    CHECK(strchr(e.msg, '\n') == NULL, "message is not one line: '%s'", e.msg);
}

static void test_defaults_per_model(void)
{
    train_config c;
    ar_err e;
    CHECK(load(&c, "{\"model\":\"lightgcn\"}", &e) == 0, "%s", e.msg);
    CHECK(c.model == MODEL_LIGHTGCN, "model");
    CHECK(c.wd_mode == WD_L2, "lightgcn wd_mode default l2");
    CHECK(c.num_negs == 1, "lightgcn num_negs default 1, got %d", c.num_negs);
    CHECK(c.cosine == 0, "lightgcn score default dot");
    CHECK(c.embedding_dim == 64 && c.num_layers == 3 && c.batch_size == 2048 && c.eval_freq == 5, "sizes");
    CHECK_CLOSE(c.init_std, 1e-4, 0, 1e-15);
    CHECK(c.seed == 1, "seed default 1");
    CHECK(c.n_monitors == 4 && c.mon_metric[3] == M_NDCG && c.mon_k[3] == 20, "monitors default");
    CHECK(c.best == 3, "which4best default ndcg@20 = monitor 3, got %d", c.best);
    CHECK(c.hidden == 0 && c.projector == PROJ_MLP && c.text[0] == 0, "projector defaults");

    CHECK(load(&c, "{\"model\":\"lightgcn-infonce\"}", &e) == 0, "%s", e.msg);
    CHECK(c.wd_mode == WD_ADAM && c.num_negs == 256 && c.cosine == 1, "infonce defaults: adam, 256, cosine");
    CHECK(load(&c, "{\"model\":\"alpharec\"}", &e) == 0, "%s", e.msg);
    CHECK(c.wd_mode == WD_ADAM && c.num_negs == 256 && c.cosine == 1, "alpharec defaults: adam, 256, cosine");

    /* explicit values win over model defaults */
    CHECK(load(&c, "{\"model\":\"lightgcn\",\"wd_mode\":\"adam\",\"score\":\"cosine\"}", &e) == 0, "%s", e.msg);
    CHECK(c.wd_mode == WD_ADAM && c.cosine == 1, "explicit wd_mode/score kept for lightgcn");
    CHECK(load(&c, "{\"model\":\"alpharec\",\"wd_mode\":\"l2\",\"num_negs\":3,\"score\":\"dot\"}", &e) == 0, "%s",
          e.msg);
    CHECK(c.wd_mode == WD_L2 && c.num_negs == 3 && c.cosine == 0, "explicit values kept for alpharec");
}

static void test_full_file(void)
{
    train_config c;
    ar_err e;
    const char *j = "{\n \"model\": \"alpharec\", \"embedding_dim\": 32, \"num_layers\": 2, \"epochs\": 7,\n"
                    " \"batch_size\": 100, \"optimizer\": \"adam\", \"lr\": 5e-4, \"weight_decay\": 1e-6,\n"
                    " \"wd_mode\": \"adam\", \"tau\": 0.25, \"num_negs\": 16, \"projector\": \"linear\",\n"
                    " \"hidden\": 9, \"init_std\": 0.1, \"eval_freq\": 2,\n"
                    " \"monitors\": [\"recall@1\", \"hit@10\", \"mrr@5\", \"precision@3\"],\n"
                    " \"which4best\": \"hit@10\", \"score\": \"dot\", \"text\": \"t.npy\", \"seed\": 42 }\n";
    CHECK(load(&c, j, &e) == 0, "%s", e.msg);
    CHECK(c.embedding_dim == 32 && c.num_layers == 2 && c.epochs == 7 && c.batch_size == 100, "ints");
    CHECK_CLOSE(c.lr, 5e-4, 0, 1e-15);
    CHECK_CLOSE(c.weight_decay, 1e-6, 0, 1e-18);
    CHECK_CLOSE(c.tau, 0.25, 0, 1e-15);
    CHECK(c.num_negs == 16 && c.projector == PROJ_LINEAR && c.hidden == 9 && c.eval_freq == 2, "more ints");
    CHECK(c.n_monitors == 4 && c.mon_metric[2] == M_MRR && c.mon_k[2] == 5 && c.mon_metric[3] == M_PRECISION,
          "monitors parsed");
    CHECK(c.best == 1, "which4best index 1, got %d", c.best);
    CHECK(strcmp(c.text, "t.npy") == 0 && c.seed == 42 && c.cosine == 0, "text, seed, score");

    /* round trip through config_to_json */
    cJSON *js = config_to_json(&c);
    char *s = cJSON_PrintUnformatted(js);
    cJSON_Delete(js);
    train_config d;
    CHECK(load(&d, s, &e) == 0, "round trip: %s", e.msg);
    cJSON_free(s);
    CHECK(d.model == c.model && d.embedding_dim == c.embedding_dim && d.lr == c.lr && d.weight_decay == c.weight_decay &&
              d.tau == c.tau && d.num_negs == c.num_negs && d.projector == c.projector && d.hidden == c.hidden &&
              d.init_std == c.init_std && d.n_monitors == c.n_monitors && d.best == c.best && d.cosine == c.cosine &&
              d.seed == c.seed && strcmp(d.text, c.text) == 0 && d.wd_mode == c.wd_mode,
          "config_to_json round trip changed a value");
}

static void test_errors(void)
{
    /* unknown key */
    expect_err("{\"model\":\"lightgcn\",\"learning_rate\":0.1}", "cfg.json", "unknown key \"learning_rate\"");
    /* unknown model; missing model */
    expect_err("{\"model\":\"mf\"}", "cfg.json", "unknown model \"mf\"");
    expect_err("{\"epochs\":3}", "cfg.json", "\"model\" missing");
    expect_err("{\"model\":3}", "key \"model\"", "cfg.json");
    /* wrong types */
    expect_err("{\"model\":\"lightgcn\",\"epochs\":\"10\"}", "key \"epochs\"", "integer");
    expect_err("{\"model\":\"lightgcn\",\"epochs\":2.5}", "key \"epochs\"", "2.5");
    expect_err("{\"model\":\"lightgcn\",\"lr\":true}", "key \"lr\"", "number");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":\"ndcg@20\"}", "key \"monitors\"", "array");
    expect_err("{\"model\":\"lightgcn\",\"score\":1}", "key \"score\"", "cfg.json");
    expect_err("{\"model\":\"alpharec\",\"text\":5}", "key \"text\"", "path");
    expect_err("{\"model\":\"alpharec\",\"text\":\"\"}", "key \"text\"", "path");
    /* out of range */
    expect_err("{\"model\":\"lightgcn\",\"lr\":0}", "key \"lr\"", "> 0");
    expect_err("{\"model\":\"lightgcn\",\"lr\":-1e-3}", "key \"lr\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"embedding_dim\":0}", "key \"embedding_dim\"", "[1, 4096]");
    expect_err("{\"model\":\"lightgcn\",\"batch_size\":-5}", "key \"batch_size\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"weight_decay\":-1}", "key \"weight_decay\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"tau\":0}", "key \"tau\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"eval_freq\":0}", "key \"eval_freq\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"num_layers\":-1}", "key \"num_layers\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"init_std\":0}", "key \"init_std\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"seed\":-1}", "key \"seed\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"epochs\":1e12}", "key \"epochs\"", "cfg.json");
    /* bad choices */
    expect_err("{\"model\":\"lightgcn\",\"optimizer\":\"sgd\"}", "key \"optimizer\"", "\"adam\"");
    expect_err("{\"model\":\"lightgcn\",\"wd_mode\":\"decoupled\"}", "key \"wd_mode\"", "\"l2\"");
    expect_err("{\"model\":\"alpharec\",\"projector\":\"rnn\"}", "key \"projector\"", "\"mlp\"");
    expect_err("{\"model\":\"alpharec\",\"score\":\"euclid\"}", "key \"score\"", "\"cosine\"");
    /* monitors and which4best */
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[]}", "key \"monitors\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[\"auc@10\"]}", "key \"monitors\"", "auc@10");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[\"recall@0\"]}", "key \"monitors\"", "recall@0");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[\"recall\"]}", "key \"monitors\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[\"recall@\"]}", "key \"monitors\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[\"recall@10x\"]}", "key \"monitors\"", "cfg.json");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[\"ndcg@20\",\"ndcg@20\"]}", "key \"monitors\"", "twice");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[\"ndcg@20\",7]}", "key \"monitors\"", "7");
    expect_err("{\"model\":\"lightgcn\",\"monitors\":[\"ndcg@10\"]}", "key \"which4best\"", "not one of the monitors");
    expect_err("{\"model\":\"lightgcn\",\"which4best\":\"hit@20\"}", "key \"which4best\"", "not one of the monitors");
    expect_err("{\"model\":\"lightgcn\",\"which4best\":\"best\"}", "key \"which4best\"", "cfg.json");
    /* cross-key rule */
    expect_err("{\"model\":\"lightgcn\",\"num_negs\":256}", "key \"num_negs\"", "must be 1");
    /* malformed files */
    expect_err("{\"model\":\"lightgcn\",\n\"lr\": 0.1,,\n}", "cfg.json:2", "invalid JSON");
    expect_err("[1,2]", "cfg.json", "JSON object");
    expect_err("{\"model\":\"lightgcn\"} x", "cfg.json", "trailing");
    expect_err("{\"model\":\"lightgcn\",\"lr\":0.1,\"lr\":0.2}", "key \"lr\"", "twice");
    expect_err("", "cfg.json", "invalid JSON");
}

static void test_set(void)
{
    train_config c;
    ar_err e = {0};
    config_init(&c);
    const char *file = "{\"model\":\"lightgcn\",\"epochs\":1000,\"lr\":0.001}";
    CHECK(config_apply_text(&c, file, strlen(file), "cfg.json", &e) == 0, "%s", e.msg);
    CHECK(config_set(&c, "epochs=10", &e) == 0, "%s", e.msg);
    CHECK(config_set(&c, "lr=5e-4", &e) == 0, "%s", e.msg);
    CHECK(config_set(&c, "model=lightgcn-infonce", &e) == 0, "string fallback: %s", e.msg);
    CHECK(config_set(&c, "monitors=[\"hit@5\",\"ndcg@5\"]", &e) == 0, "%s", e.msg);
    CHECK(config_set(&c, "which4best=ndcg@5", &e) == 0, "%s", e.msg);
    CHECK(config_set(&c, "which4best=\"ndcg@5\"", &e) == 0, "JSON string form: %s", e.msg);
    CHECK(config_set(&c, "text=/tmp/x y.npy", &e) == 0, "%s", e.msg);
    CHECK(config_set(&c, "epochs=20", &e) == 0, "later --set wins: %s", e.msg);
    CHECK(config_finish(&c, "cfg.json", &e) == 0, "%s", e.msg);
    CHECK(c.epochs == 20, "epochs %d", c.epochs);
    CHECK_CLOSE(c.lr, 5e-4, 0, 1e-15);
    CHECK(c.model == MODEL_LIGHTGCN_INFONCE && c.num_negs == 256 && c.cosine == 1, "model switched by --set");
    CHECK(c.n_monitors == 2 && c.best == 1, "monitors/which4best from --set");
    CHECK(strcmp(c.text, "/tmp/x y.npy") == 0, "text '%s'", c.text);

    /* errors name the --set argument and the key */
    struct { const char *kv, *frag; } bad[] = {
        {"epochs", "key=value"},         {"=5", "key=value"},
        {"epochs=abc", "--set epochs=abc"}, {"epochs=1.5", "key \"epochs\""},
        {"lr=0", "key \"lr\""},          {"colour=red", "unknown key \"colour\""},
        {"model=mf", "unknown model"},   {"monitors=[\"x@1\"]", "key \"monitors\""},
        {"text=123", "key \"text\""},    {"seed=-3", "key \"seed\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&e, 0, sizeof e);
        int rc = config_set(&c, bad[i].kv, &e);
        CHECK(rc == AR_EUSAGE, "--set %s: expected usage error, got %d", bad[i].kv, rc);
        CHECK(strstr(e.msg, bad[i].frag) != NULL, "--set %s: message '%s' lacks '%s'", bad[i].kv, e.msg, bad[i].frag);
    }
    /* a --set that breaks a cross-key rule is caught by config_finish */
    config_init(&c);
    CHECK(config_set(&c, "model=lightgcn", &e) == 0, "%s", e.msg);
    CHECK(config_set(&c, "num_negs=4", &e) == 0, "%s", e.msg);
    CHECK(config_finish(&c, "cfg.json", &e) == AR_EUSAGE && strstr(e.msg, "num_negs"), "num_negs rule after --set");
}

int main(void)
{
    RUN(test_defaults_per_model);
    RUN(test_full_file);
    RUN(test_errors);
    RUN(test_set);
    T_EXIT();
}

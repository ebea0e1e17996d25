/* Running one vector message (docs/protocol.md "2. vectors", "3. answers"): a fresh machine, the
 * steps in order with step references substituted, one answer entry per step. */
#include "steps.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "riscv_mmu.h"
#ifdef PTVEC_WITH_X86
#include "x86_pte.h"
#endif

json_t *hex64_json(uint64_t v)
{
    char text[19];
    snprintf(text, sizeof text, "0x%016" PRIx64, v);
    return json_string(text);
}

int hex64_parse(const json_t *j, uint64_t *out)
{
    const char *s = json_string_value(j);
    size_t n;
    uint64_t v = 0;
    if (!s || s[0] != '0' || s[1] != 'x')
        return -1;
    n = strlen(s + 2);
    if (n < 1 || n > 16)
        return -1;
    for (const char *p = s + 2; *p; p++) {
        int d = *p >= '0' && *p <= '9'   ? *p - '0'
                : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 0;
}

static json_t *error_answer(json_t *id, const char *reason)
{
    return json_pack("{s:s,s:O,s:s}", "type", "error", "id", id, "reason", reason);
}

/* StepRef (vector-file.schema.json): {"step": NAME} as the whole value of an argument (U64Arg is
 * the only place the schema allows one). Returns a new args object, or NULL with err set. */
static json_t *substitute(json_t *args, json_t *named, char *err, size_t errlen)
{
    json_t *out = json_object(), *value;
    const char *key;
    json_object_foreach(args, key, value)
    {
        json_t *ref = json_object_get(value, "step");
        if (json_is_object(value) && json_object_size(value) == 1 && json_is_string(ref)) {
            json_t *result = json_object_get(named, json_string_value(ref));
            if (!result) {
                snprintf(err, errlen, "argument %s refers to step \"%s\", which is not an earlier "
                         "named step", key, json_string_value(ref));
                json_decref(out);
                return NULL;
            }
            value = result;
        }
        json_object_set(out, key, value);
    }
    return out;
}

/* The steps of one vector through `fn`: the answer message, result or error. */
static json_t *run_steps(json_t *id, json_t *steps, step_fn fn, void *ctx)
{
    json_t *answers = json_array(), *named = json_object(), *step;
    const char *unsupported = NULL;
    char err[512] = "";
    size_t k;

    json_array_foreach(steps, k, step)
    {
        const char *op = json_string_value(json_object_get(step, "op"));
        json_t *name = json_object_get(step, "name"), *args, *result = NULL;
        int rc;
        if (unsupported) {
            /* later steps are not judged */
            json_array_append_new(answers, json_pack("{s:s}", "unsupported", unsupported));
            continue;
        }
        if (!op || !json_is_object(json_object_get(step, "args"))) {
            snprintf(err, sizeof err, "steps/%zu: a step needs an op and an args object", k);
            goto error;
        }
        args = substitute(json_object_get(step, "args"), named, err, sizeof err);
        if (!args)
            goto error;
        rc = fn(ctx, op, args, &result, &unsupported, err, sizeof err);
        json_decref(args);
        if (rc < 0)
            goto error;
        if (rc == 0 && !result) {
            snprintf(err, sizeof err, "steps/%zu: %s produced no result", k, op);
            goto error;
        }
        if (rc > 0) {
            if (!unsupported)
                unsupported = "not implemented by ptvec-c";
            json_array_append_new(answers, json_pack("{s:s}", "unsupported", unsupported));
            continue;
        }
        if (json_is_string(name))
            json_object_set(named, json_string_value(name), result);
        json_array_append_new(answers, json_pack("{s:o}", "result", result));
    }
    json_decref(named);
    return json_pack("{s:s,s:O,s:o}", "type", "result", "id", id, "steps", answers);

error:
    json_decref(named);
    json_decref(answers);
    return error_answer(id, err);
}

#ifdef PTVEC_WITH_X86
typedef struct {
    const char *mode;
    json_t *config;
} x86_ctx;

static int x86_step(void *ctx, const char *op, json_t *args, json_t **result,
                    const char **unsupported, char *err, size_t errlen)
{
    x86_ctx *x = ctx;
    (void)err;
    (void)errlen;
    return x86_pte_step(x->mode, x->config, op, args, result, unsupported) == 0 ? 0 : 1;
}
#endif

json_t *vector_answer(json_t *msg)
{
    json_t *id = json_object_get(msg, "id"), *steps = json_object_get(msg, "steps");
    const char *arch = json_string_value(json_object_get(msg, "arch"));
    const char *family = json_string_value(json_object_get(msg, "family"));
    const char *mode = json_string_value(json_object_get(msg, "mode"));
    char reason[600];

    if (!arch || !family || !mode || !json_is_array(steps))
        return error_answer(id, "a vector message needs arch, family, mode and steps");

    if (strcmp(arch, "riscv64") == 0 &&
        (strcmp(family, "mmu") == 0 || strcmp(family, "tlb") == 0)) {
        char err[512] = "";
        rv_machine *m = rv_machine_new(mode, json_object_get(msg, "setup"), steps, err, sizeof err);
        json_t *answer;
        if (!m)
            return error_answer(id, err);
        answer = run_steps(id, steps, rv_step, m);
        rv_machine_free(m);
        return answer;
    }
#ifdef PTVEC_WITH_X86
    if (strcmp(arch, "x86_64") == 0 && strcmp(family, "pte") == 0) {
        x86_ctx ctx = {mode, json_object_get(msg, "config")};
        if (!json_is_object(ctx.config))
            return error_answer(id, "a vector message needs a config object");
        return run_steps(id, steps, x86_step, &ctx);
    }
#endif
    snprintf(reason, sizeof reason, "ptvec-c does not run %s %s vectors", arch, family);
    return error_answer(id, reason);
}

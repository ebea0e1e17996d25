/* ptvec-c: a ptvec implementation in C, speaking the JSON Lines protocol of docs/protocol.md on
 * stdin/stdout (logs on stderr). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "riscv_mmu.h"
#include "steps.h"
#ifdef PTVEC_WITH_X86
#include "x86_pte.h"
#endif

static json_t *string_list(const char *const *items)
{
    json_t *list = json_array();
    for (; *items; items++)
        json_array_append_new(list, json_string(*items));
    return list;
}

/* protocol.schema.json ImplementationHello: protocol 1 and the targets run here. */
static json_t *hello(void)
{
    static const char *const rv_modes[] = {"sv39", "sv48", NULL};
    static const char *const rv_families[] = {"mmu", "tlb", NULL};
    json_t *supports = json_array();
    json_array_append_new(supports,
                          json_pack("{s:s,s:o,s:o,s:o}", "arch", "riscv64", "modes",
                                    string_list(rv_modes), "families", string_list(rv_families),
                                    "features", string_list(riscv_feature_keys)));
#ifdef PTVEC_WITH_X86
    static const char *const x86_modes[] = {"4level", "5level", NULL};
    static const char *const x86_families[] = {"pte", NULL};
    json_array_append_new(supports,
                          json_pack("{s:s,s:o,s:o,s:o}", "arch", "x86_64", "modes",
                                    string_list(x86_modes), "families", string_list(x86_families),
                                    "config", string_list(x86_pte_config_keys)));
#endif
    return json_pack("{s:s,s:i,s:{s:s,s:s},s:o,s:{}}", "type", "hello", "protocol", 1,
                     "implementation", "name", "ptvec-c-example", "version", "1.0.0", "supports",
                     supports, "choices");
}

/* One message per line, flushed: a buffered answer looks like a hang. */
static void send(json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text) {
        fprintf(stderr, "ptvec-c: could not encode an answer\n");
        exit(1);
    }
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(text);
}

static int offers_protocol_1(json_t *msg)
{
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(msg, "protocols"), k, v)
    {
        if (json_is_integer(v) && json_integer_value(v) == 1)
            return 1;
    }
    return 0;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int greeted = 0;

    while ((len = getline(&line, &cap, stdin)) >= 0) {
        json_error_t jerr;
        json_t *msg, *id;
        const char *type;

        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        msg = json_loadb(line, (size_t)len, 0, &jerr);
        if (!msg) {
            fprintf(stderr, "ptvec-c: line is not JSON (%s at column %d)\n", jerr.text,
                    jerr.column);
            continue;
        }
        type = json_string_value(json_object_get(msg, "type"));
        id = json_object_get(msg, "id");
        if (type && strcmp(type, "hello") == 0) {
            if (!offers_protocol_1(msg)) {
                fprintf(stderr, "ptvec-c: the runner does not offer protocol 1\n");
                json_decref(msg);
                free(line);
                return 1;
            }
            if (!greeted)
                send(hello());
            greeted = 1;
        } else if (type && strcmp(type, "bye") == 0) {
            json_decref(msg);
            break;
        } else if (type && strcmp(type, "vector") == 0 && json_is_string(id)) {
            send(vector_answer(msg));
        } else {
            fprintf(stderr, "ptvec-c: unexpected message (type %s)\n", type ? type : "missing");
            if (json_is_string(id))
                send(json_pack("{s:s,s:O,s:s}", "type", "error", "id", id, "reason",
                               "malformed message"));
        }
        json_decref(msg);
    }
    free(line);
    return 0;
}

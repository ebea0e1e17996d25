/* x86_64 Linux v6.19 page-table helpers (the `pte` family of vectors). */
#ifndef PTVEC_X86_PTE_H
#define PTVEC_X86_PTE_H

#include <jansson.h>

/* Config keys whose value x86_pte honours (NULL-terminated), for the hello. */
extern const char *const x86_pte_config_keys[];

/* One pte-family step on x86_64. `config` is the vector's whole config object (every key of
 * schemas/common.schema.json Config); `args` has step references already substituted. Returns 0 and
 * sets *result (a new reference) on success; returns 1 and sets *unsupported (a static string) when
 * the op is not implemented. */
int x86_pte_step(const char *mode, json_t *config, const char *op, json_t *args,
                 json_t **result, const char **unsupported);

#endif

/* Running one vector message: step references, dispatch to an arch module, the answer. */
#ifndef PTVEC_STEPS_H
#define PTVEC_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A Hex64 (common.schema.json): "0x" and 16 lowercase hex digits. */
json_t *hex64_json(uint64_t v);

/* Parses a hex string "0x..." of 1 to 16 digits; 0 on success, -1 if `j` is not one. */
int hex64_parse(const json_t *j, uint64_t *out);

/* One step of a vector: 0 = *result set (a new reference, json_null() for none), 1 = *unsupported
 * set (text that lives as long as ctx), -1 = the vector cannot be run, reason in err. */
typedef int (*step_fn)(void *ctx, const char *op, json_t *args, json_t **result,
                       const char **unsupported, char *err, size_t errlen);

/* The answer to one vector message: a `result` or an `error` message (protocol.schema.json).
 * `msg` has passed the caller's check that `id` is a string. */
json_t *vector_answer(json_t *msg);

#endif

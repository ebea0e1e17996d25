/* riscv64 Sv39/Sv48 MMU with per-hart address-translation caches (the `mmu` and `tlb` families). */
#ifndef PTVEC_RISCV_MMU_H
#define PTVEC_RISCV_MMU_H

#include <stddef.h>

#include <jansson.h>

/* CpuFeatures keys (vector-file.schema.json) this MMU honours (NULL-terminated), for the hello. */
extern const char *const riscv_feature_keys[];

typedef struct rv_machine rv_machine;

/* A fresh machine built from a vector's mode ("sv39", "sv48", "sv57") and `setup`, or NULL with the
 * reason in err. `steps` is read only for the trees that write_satp steps name. */
rv_machine *rv_machine_new(const char *mode, json_t *setup, json_t *steps, char *err,
                           size_t errlen);

void rv_machine_free(rv_machine *m);

/* One mmu/tlb step (a step_fn, steps.h): access, read, write, set_features, sfence_vma,
 * write_satp. */
int rv_step(void *machine, const char *op, json_t *args, json_t **result, const char **unsupported,
            char *err, size_t errlen);

#endif

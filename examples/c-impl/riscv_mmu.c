/* riscv64 MMU, written from the RISC-V privileged spec (riscv-isa-manual src/priv/supervisor.adoc):
 * "Virtual Address Translation Process" steps 1-10 for Sv39/Sv48/Sv57, Svade/Svadu, Svnapot,
 * Svpbmt, Svrsw60t59b, the address-translation cache and SFENCE.VMA. */
#include "riscv_mmu.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steps.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE ((uint64_t)1 << PAGE_SHIFT)
#define PTESIZE 8
#define MAX_HARTS 8
#define MAX_TREES 16
#define TLB_ENTRIES 64

/* riscv priv Sv39 PTE: N 63, PBMT 62:61, reserved 60:54, PPN 53:10, RSW 9:8, D A G U X W R V. */
#define PTE_V ((uint64_t)1 << 0)
#define PTE_R ((uint64_t)1 << 1)
#define PTE_W ((uint64_t)1 << 2)
#define PTE_X ((uint64_t)1 << 3)
#define PTE_U ((uint64_t)1 << 4)
#define PTE_G ((uint64_t)1 << 5)
#define PTE_A ((uint64_t)1 << 6)
#define PTE_D ((uint64_t)1 << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_BITS 44
#define PTE_RSV_58_54 ((uint64_t)0x1f << 54)
#define PTE_RSV_60_59 ((uint64_t)0x3 << 59)
#define PTE_PBMT_SHIFT 61
#define PTE_N ((uint64_t)1 << 63)

/* ---------------------------------------------------------------- physical memory */

/* Sparse RAM [base, base+size): 4 KiB pages allocated on first write, zero until then. */
typedef struct {
    uint64_t pfn;
    uint8_t *bytes;
} mem_page;

typedef struct {
    uint64_t base, size;
    mem_page *pages;
    size_t cap, used;
} phys_mem;

static bool mem_contains(const phys_mem *mem, uint64_t pa, uint64_t len)
{
    return pa >= mem->base && pa - mem->base < mem->size && len <= mem->size - (pa - mem->base);
}

static size_t mem_hash(uint64_t pfn, size_t cap)
{
    return (size_t)((pfn * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "ptvec-c: out of memory\n");
        exit(1);
    }
    return p;
}

static void mem_grow(phys_mem *mem)
{
    size_t cap = mem->cap ? mem->cap * 2 : 64;
    mem_page *pages = xcalloc(cap, sizeof *pages);
    for (size_t i = 0; i < mem->cap; i++) {
        if (!mem->pages[i].bytes)
            continue;
        size_t j = mem_hash(mem->pages[i].pfn, cap);
        while (pages[j].bytes)
            j = (j + 1) & (cap - 1);
        pages[j] = mem->pages[i];
    }
    free(mem->pages);
    mem->pages = pages;
    mem->cap = cap;
}

static uint8_t *mem_page_of(phys_mem *mem, uint64_t pfn, bool create)
{
    if (mem->cap == 0) {
        if (!create)
            return NULL;
        mem_grow(mem);
    }
    size_t i = mem_hash(pfn, mem->cap);
    while (mem->pages[i].bytes) {
        if (mem->pages[i].pfn == pfn)
            return mem->pages[i].bytes;
        i = (i + 1) & (mem->cap - 1);
    }
    if (!create)
        return NULL;
    if ((mem->used + 1) * 2 > mem->cap) {
        mem_grow(mem);
        return mem_page_of(mem, pfn, true);
    }
    mem->pages[i].pfn = pfn;
    mem->pages[i].bytes = xcalloc(1, PAGE_SIZE);
    mem->used++;
    return mem->pages[i].bytes;
}

/* Little-endian 64-bit word at an 8-byte aligned pa inside memory. */
static uint64_t mem_read64(phys_mem *mem, uint64_t pa)
{
    const uint8_t *page = mem_page_of(mem, pa >> PAGE_SHIFT, false);
    uint64_t v = 0;
    if (!page)
        return 0;
    for (int b = 7; b >= 0; b--)
        v = (v << 8) | page[(pa & (PAGE_SIZE - 1)) + (uint64_t)b];
    return v;
}

static void mem_write64(phys_mem *mem, uint64_t pa, uint64_t v)
{
    uint8_t *page = mem_page_of(mem, pa >> PAGE_SHIFT, true);
    for (int b = 0; b < 8; b++)
        page[(pa & (PAGE_SIZE - 1)) + (uint64_t)b] = (uint8_t)(v >> (8 * b));
}

static void mem_free(phys_mem *mem)
{
    for (size_t i = 0; i < mem->cap; i++)
        free(mem->pages[i].bytes);
    free(mem->pages);
}

/* ---------------------------------------------------------------- machine */

/* sstatus.SUM/MXR, menvcfg.ADUE/PBMTE, the extensions Svnapot and Svrsw60t59b, and C (IALIGN 16,
 * on unless a vector turns it off). */
typedef struct {
    bool sum, mxr, adue, svnapot, pbmte, svrsw60t59b, no_c;
} rv_features;

const char *const riscv_feature_keys[] = {"SUM", "MXR",         "ADUE", "Svnapot",
                                          "PBMTE", "Svrsw60t59b", "C",    NULL};

/* One address-translation cache entry: a leaf PTE read in step 2, tagged with satp.ASID or marked
 * global (riscv priv "Address-Translation Cache"). */
typedef struct {
    bool valid;
    int level;       /* i of the leaf */
    uint64_t vpn;    /* va[VAW-1 : 12+9i] */
    uint16_t asid;
    bool global;     /* G in the leaf or in a pointer above it */
    uint64_t pte;    /* the leaf as read, with the A/D bits step 9 wrote */
    uint64_t pte_pa; /* a + va.vpn[i] x PTESIZE */
    uint64_t ppn;    /* the PPN step 10 uses (Svnapot: ppn[3:0] replaced by vpn[0][3:0]) */
} tlb_entry;

typedef struct {
    uint64_t root; /* satp.PPN x PAGESIZE */
    uint16_t asid; /* satp.ASID */
    rv_features feat;
    tlb_entry tlb[TLB_ENTRIES];
    unsigned next;
} hart;

struct rv_machine {
    int levels; /* LEVELS: 3 Sv39, 4 Sv48, 5 Sv57 */
    phys_mem mem;
    hart harts[MAX_HARTS];
    int nharts;
    uint64_t roots[MAX_TREES];
    int ntrees;
    char unsupported[96];
};

typedef enum { ACC_LOAD, ACC_STORE, ACC_FETCH } acc_t;

static const char *const acc_names[] = {"load", "store", "fetch"};
/* scause: load/store/instruction page fault 13/15/12, access fault 5/7/1. */
static const int page_fault_cause[] = {13, 15, 12};
static const int access_fault_cause[] = {5, 7, 1};

static int va_bits(const rv_machine *m)
{
    return PAGE_SHIFT + 9 * m->levels;
}

/* Linux's name for level i: the top level is pgd, then p4d, pud, pmd, pte from Sv57 down. */
static const char *level_name(const rv_machine *m, int i)
{
    static const char *const names[] = {"pte", "pmd", "pud", "p4d"};
    return i == m->levels - 1 ? "pgd" : names[i];
}

static int level_by_name(const rv_machine *m, const char *name)
{
    for (int i = 0; i < m->levels; i++)
        if (strcmp(level_name(m, i), name) == 0)
            return i;
    return -1;
}

/* Sv39 "bits 63-39 all equal to bit 38" (and the Sv48/Sv57 equivalents). */
static bool va_canonical(const rv_machine *m, uint64_t va)
{
    int shift = 64 - va_bits(m);
    return (uint64_t)((int64_t)(va << shift) >> shift) == va;
}

static uint64_t vpn(uint64_t va, int i)
{
    return (va >> (PAGE_SHIFT + 9 * i)) & 0x1ff;
}

static uint64_t pte_ppn(uint64_t pte)
{
    return (pte >> PTE_PPN_SHIFT) & (((uint64_t)1 << PTE_PPN_BITS) - 1);
}

/* va[VAW-1 : 12+9i]: the page of a level-i leaf that holds va. */
static uint64_t va_page(const rv_machine *m, uint64_t va, int i)
{
    return (va & (((uint64_t)1 << va_bits(m)) - 1)) >> (PAGE_SHIFT + 9 * i);
}

/* ---------------------------------------------------------------- address-translation cache */

/* "satisfy subsequent step 2 reads if the ASID associated with the entry matches the ASID loaded in
 * step 0 or if the entry is associated with a global mapping" */
static bool tlb_matches(const rv_machine *m, const hart *h, const tlb_entry *e, uint64_t va)
{
#ifdef PTVEC_BUG_TLB_IGNORES_ASID
    /* entries are not tagged: any address space's entry is used */
    (void)h;
    return e->valid && va_page(m, va, e->level) == e->vpn;
#else
    return e->valid && (e->global || e->asid == h->asid) && va_page(m, va, e->level) == e->vpn;
#endif
}

static tlb_entry *tlb_lookup(const rv_machine *m, hart *h, uint64_t va)
{
    for (int k = 0; k < TLB_ENTRIES; k++)
        if (tlb_matches(m, h, &h->tlb[k], va))
            return &h->tlb[k];
    return NULL;
}

/* Drops the entries the current address space would use for va. */
static void tlb_drop(const rv_machine *m, hart *h, uint64_t va)
{
    for (int k = 0; k < TLB_ENTRIES; k++)
        if (tlb_matches(m, h, &h->tlb[k], va))
            h->tlb[k].valid = false;
}

static void tlb_fill(const rv_machine *m, hart *h, uint64_t va, const tlb_entry *e)
{
    int slot = -1;
    tlb_drop(m, h, va);
    for (int k = 0; k < TLB_ENTRIES && slot < 0; k++)
        if (!h->tlb[k].valid)
            slot = k;
    if (slot < 0) {
        slot = (int)(h->next % TLB_ENTRIES);
        h->next++;
    }
    h->tlb[slot] = *e;
    h->tlb[slot].valid = true;
}

/* Does SFENCE.VMA with rs1 = va cover this leaf entry: "entries that contain leaf page table
 * entries corresponding to the virtual address in rs1" (a superpage contains every VA inside). */
static bool sfence_covers(const rv_machine *m, const tlb_entry *e, uint64_t va)
{
#ifdef PTVEC_BUG_SFENCE_IGNORES_RS1_SUPERPAGE
    /* compares rs1's page number with the entry's first page: only a fence at the base of a
     * superpage removes it */
    return e->vpn << (9 * e->level) == va_page(m, va, 0);
#else
    return va_page(m, va, e->level) == e->vpn;
#endif
}

/* riscv priv "Supervisor Memory-Management Fence Instruction": rs1 = x0 all addresses, else the
 * leaf entries for VA(rs1); rs2 = x0 all address spaces, else that ASID except global entries. An
 * rs1 that is not a valid VA has no effect. */
static void sfence_vma(const rv_machine *m, hart *h, bool has_va, uint64_t va, bool has_asid,
                       uint64_t asid)
{
    if (has_va && !va_canonical(m, va))
        return;
    for (int k = 0; k < TLB_ENTRIES; k++) {
        tlb_entry *e = &h->tlb[k];
        if (!e->valid)
            continue;
#ifdef PTVEC_BUG_SFENCE_ASID_MUST_BE_CURRENT
        /* rs2 is taken to mean "if rs2 is the current address space" */
        if (has_asid && asid != h->asid)
            return;
#endif
#ifdef PTVEC_BUG_SFENCE_VA_CURRENT_ASID_ONLY
        /* rs2 = x0 is taken to mean the current address space, not every one */
        if (!has_asid && has_va && !e->global && e->asid != h->asid)
            continue;
#endif
        if (has_asid && (e->global || e->asid != asid))
            continue;
        if (has_va && !sfence_covers(m, e, va))
            continue;
        e->valid = false;
    }
}

/* ---------------------------------------------------------------- translation */

typedef struct {
    bool fault;
    const char *cls; /* FaultClass */
    int level;       /* -1: none */
    int scause;
    uint64_t pa;
    struct {
        uint64_t pa, value;
    } upd[4];
    int nupd;
} outcome;

static void page_fault(outcome *o, acc_t acc, const char *cls, int level)
{
    o->fault = true;
    o->cls = cls;
    o->level = level;
    o->scause = page_fault_cause[acc];
}

static void access_fault(outcome *o, acc_t acc, int level)
{
    o->fault = true;
    o->cls = "access";
    o->level = level;
    o->scause = access_fault_cause[acc];
}

static void add_update(outcome *o, uint64_t pa, uint64_t value)
{
    if (o->nupd < 4) {
        o->upd[o->nupd].pa = pa;
        o->upd[o->nupd].value = value;
        o->nupd++;
    }
}

/* Step 3: "pte.r = 0 and pte.w = 1, or any bits or encodings that are reserved". */
static bool pte_reserved(uint64_t pte, int i, const rv_features *f)
{
    bool leaf = (pte & (PTE_R | PTE_X)) != 0;
    uint64_t pbmt = (pte >> PTE_PBMT_SHIFT) & 3;
    if (!(pte & PTE_R) && (pte & PTE_W))
        return true;
    /* bits 60-54 reserved; Svrsw60t59b gives 60-59 to software */
    if (pte & PTE_RSV_58_54)
        return true;
    if ((pte & PTE_RSV_60_59) && !f->svrsw60t59b)
        return true;
    if (!leaf) /* "For non-leaf PTEs, the D, A, and U bits are reserved"; N and PBMT too */
        return (pte & (PTE_D | PTE_A | PTE_U | PTE_N)) || pbmt != 0;
    /* Svpbmt: PBMT=3 reserved; non-zero PBMT reserved unless menvcfg.PBMTE */
    if (pbmt == 3 || (pbmt != 0 && !f->pbmte))
        return true;
    /* Svnapot Table 7: only i=0 with ppn[0][3:0]=1000 (64 KiB); without Svnapot N is reserved */
    if ((pte & PTE_N) && (!f->svnapot || i != 0 || (pte_ppn(pte) & 0xf) != 0x8))
        return true;
    return false;
}

/* Steps 6 (U against the privilege, SUM) and 8 (R/W/X against the access type, MXR). */
static bool leaf_allows(uint64_t pte, acc_t acc, bool user, const rv_features *f)
{
    if (user) {
        if (!(pte & PTE_U))
            return false;
    } else if (pte & PTE_U) {
        /* S-mode: loads and stores to U pages only with SUM, fetches never */
#ifdef PTVEC_BUG_SUM_ALLOWS_FETCH
        if (!f->sum) /* SUM taken to open U pages to every S-mode access */
#else
        if (acc == ACC_FETCH || !f->sum)
#endif
            return false;
    }
    switch (acc) {
    case ACC_LOAD:
        return (pte & PTE_R) || (f->mxr && (pte & PTE_X));
    case ACC_STORE:
        return (pte & PTE_W) != 0;
    case ACC_FETCH:
        return (pte & PTE_X) != 0;
    }
    return false;
}

/* Step 9's condition: A=0, or a store and D=0. */
static bool needs_ad(uint64_t pte, acc_t acc)
{
    return !(pte & PTE_A) || (acc == ACC_STORE && !(pte & PTE_D));
}

static uint64_t with_ad(uint64_t pte, acc_t acc)
{
    return pte | PTE_A | (acc == ACC_STORE ? PTE_D : 0);
}

/* Step 9's atomic compare with the PTE in memory and store. */
static bool pte_cas(phys_mem *mem, uint64_t pa, uint64_t expected, uint64_t value)
{
    if (mem_read64(mem, pa) != expected)
        return false;
    mem_write64(mem, pa, value);
    return true;
}

/* Step 10, then the PMA check of the access itself (an access fault at the leaf's level). */
static void complete(rv_machine *m, outcome *o, uint64_t va, acc_t acc, uint64_t ppn, int i)
{
    uint64_t offset_mask = ((uint64_t)1 << (PAGE_SHIFT + 9 * i)) - 1;
    uint64_t pa = ((ppn << PAGE_SHIFT) & ~offset_mask) | (va & offset_mask);
    if (!mem_contains(&m->mem, pa, 1)) {
        access_fault(o, acc, i);
        return;
    }
    o->fault = false;
    o->pa = pa;
    o->level = i;
}

/* Steps 1-10 with every step-2 read from memory. On reaching step 10, *fill is the entry for the
 * address-translation cache and the result is true. */
static bool walk(rv_machine *m, hart *h, uint64_t va, acc_t acc, bool user, outcome *o,
                 tlb_entry *fill)
{
    uint64_t a = h->root, pte, pte_pa;
    int i = m->levels - 1;
    bool global = false;

    for (;;) {
        /* step 2: a PTE read outside memory violates a PMA: access fault, named by the entry
         * that pointed there (none for the root) */
        pte_pa = a + vpn(va, i) * PTESIZE;
        if (!mem_contains(&m->mem, pte_pa, PTESIZE)) {
#ifdef PTVEC_BUG_PTE_ACCESS_FAULT_AS_PAGE_FAULT
            /* a bus error on the walk reported as a page fault */
            page_fault(o, acc, "translation", i);
#else
            access_fault(o, acc, i == m->levels - 1 ? -1 : i + 1);
#endif
            return false;
        }
        pte = mem_read64(&m->mem, pte_pa);
        /* step 3 */
        if (!(pte & PTE_V)) {
            page_fault(o, acc, "translation", i);
            return false;
        }
        if (pte_reserved(pte, i, &h->feat)) {
            page_fault(o, acc, "reserved", i);
            return false;
        }
        global = global || (pte & PTE_G);
        /* step 4: R or X makes a leaf; otherwise a pointer, which level 0 cannot hold */
        if (pte & (PTE_R | PTE_X))
            break;
        if (i == 0) {
            page_fault(o, acc, "translation", i);
            return false;
        }
        i--;
        a = pte_ppn(pte) << PAGE_SHIFT;
    }

#ifdef PTVEC_BUG_AD_BEFORE_PERMISSION_CHECK
    /* the A/D update is issued as soon as the leaf is read, before steps 5-8 */
    if (h->feat.adue && needs_ad(pte, acc) && pte_cas(&m->mem, pte_pa, pte, with_ad(pte, acc))) {
        pte = with_ad(pte, acc);
        add_update(o, pte_pa, pte);
    }
#endif
#ifndef PTVEC_BUG_NO_MISALIGNED_SUPERPAGE_FAULT
    /* step 5: i > 0 and pte.ppn[i-1:0] != 0 is a misaligned superpage */
    if (i > 0 && (pte_ppn(pte) & (((uint64_t)1 << (9 * i)) - 1))) {
        page_fault(o, acc, "misaligned", i);
        return false;
    }
#endif
    /* steps 6 and 8 */
    if (!leaf_allows(pte, acc, user, &h->feat)) {
        page_fault(o, acc, "permission", i);
        return false;
    }
    /* step 9: Svade faults; Svadu (menvcfg.ADUE=1) sets A, and D for a store, atomically. The
     * PTE store is inside memory because its load was. Nothing else writes memory between the
     * load and this compare, so it matches. */
    if (needs_ad(pte, acc)) {
        if (!h->feat.adue) {
            page_fault(o, acc, (pte & PTE_A) ? "dirty" : "access-flag", i);
            return false;
        }
        if (pte_cas(&m->mem, pte_pa, pte, with_ad(pte, acc))) {
            pte = with_ad(pte, acc);
            add_update(o, pte_pa, pte);
        }
    }
    /* step 10; Svnapot: implicit reads return ppn[0][3:0] replaced by vpn[0][3:0] */
    memset(fill, 0, sizeof *fill);
    fill->level = i;
    fill->vpn = va_page(m, va, i);
    fill->asid = h->asid;
    fill->global = global;
    fill->pte = pte;
    fill->pte_pa = pte_pa;
    fill->ppn = pte_ppn(pte);
    if (pte & PTE_N)
        fill->ppn = (fill->ppn & ~(uint64_t)0xf) | (vpn(va, 0) & 0xf);
    complete(m, o, va, acc, fill->ppn, i);
    return true;
}

/* One access: canonical check, the address-translation cache, else a walk that fills it. */
static void translate(rv_machine *m, hart *h, uint64_t va, acc_t acc, bool user, outcome *o)
{
    tlb_entry fill;
    tlb_entry *e;

    memset(o, 0, sizeof *o);
    /* Instruction-address-misaligned (scause 0): a PC that IALIGN forbids, before translation. */
    if (acc == ACC_FETCH && (va & (h->feat.no_c ? 3 : 1))) {
        o->fault = true;
        o->cls = "alignment";
        o->level = -1;
        o->scause = 0;
        return;
    }
    if (!va_canonical(m, va)) {
        page_fault(o, acc, "non-canonical", -1);
        return;
    }
    e = tlb_lookup(m, h, va);
    if (e) {
        /* a cached leaf satisfies step 2; steps 3-5 held when it was cached */
        if (!leaf_allows(e->pte, acc, user, &h->feat)) {
            page_fault(o, acc, "permission", e->level);
            return;
        }
        if (!needs_ad(e->pte, acc)) {
            complete(m, o, va, acc, e->ppn, e->level);
            return;
        }
        if (!h->feat.adue) {
            page_fault(o, acc, (e->pte & PTE_A) ? "dirty" : "access-flag", e->level);
            return;
        }
#ifdef PTVEC_BUG_AD_UPDATE_FROM_TLB
        /* the cached PTE with A/D set is written back without comparing it with memory */
        e->pte = with_ad(e->pte, acc);
        mem_write64(&m->mem, e->pte_pa, e->pte);
        add_update(o, e->pte_pa, e->pte);
        complete(m, o, va, acc, e->ppn, e->level);
        return;
#else
        /* "The address-translation cache cannot be used in step 9": compare with memory; on a
         * mismatch return to step 2, which then reads memory */
        if (pte_cas(&m->mem, e->pte_pa, e->pte, with_ad(e->pte, acc))) {
            e->pte = with_ad(e->pte, acc);
            add_update(o, e->pte_pa, e->pte);
            complete(m, o, va, acc, e->ppn, e->level);
            return;
        }
        tlb_drop(m, h, va);
#endif
    }
    if (walk(m, h, va, acc, user, o, &fill))
        tlb_fill(m, h, va, &fill);
}

/* ---------------------------------------------------------------- setup */

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return -1;                                                                                 \
    } while (0)

typedef struct {
    const char *name;
    int hi, lo;
} pte_field;

/* Leaf PTE fields by the names of vectors/arch/riscv64-*.json format "leaf". */
static const pte_field leaf_fields[] = {
    {"N", 63, 63},   {"PBMT", 62, 61},    {"UFFD_WP", 60, 60}, {"SOFT_DIRTY", 59, 59},
    {"RSV", 58, 54}, {"PPN", 53, 10},     {"RSW9", 9, 9},      {"SPECIAL", 8, 8},
    {"D", 7, 7},     {"A", 6, 6},         {"G", 5, 5},         {"U", 4, 4},
    {"X", 3, 3},     {"W", 2, 2},         {"R", 1, 1},         {"V", 0, 0},
    {NULL, 0, 0}};

/* Pointer PTE fields (format "table"). */
static const pte_field table_fields[] = {
    {"N", 63, 63}, {"PBMT", 62, 61}, {"RSV_60_59", 60, 59}, {"RSV", 58, 54}, {"PPN", 53, 10},
    {"RSW", 9, 8}, {"D", 7, 7},      {"A", 6, 6},           {"G", 5, 5},     {"U", 4, 4},
    {"X", 3, 3},   {"W", 2, 2},      {"R", 1, 1},           {"V", 0, 0},     {NULL, 0, 0}};

static int apply_fields(json_t *fields, const pte_field *table, uint64_t *pte, const char *where,
                        char *err, size_t errlen)
{
    const char *key;
    json_t *value;
    if (!json_is_object(fields))
        FAIL("%s: fields must be an object", where);
    json_object_foreach(fields, key, value)
    {
        const pte_field *f = table;
        uint64_t v, width_mask;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        if (!f->name)
            FAIL("%s: unknown field %s", where, key);
        if (json_is_integer(value) && json_integer_value(value) >= 0)
            v = (uint64_t)json_integer_value(value);
        else if (hex64_parse(value, &v) != 0)
            FAIL("%s: field %s is not a non-negative integer or hex string", where, key);
        width_mask = f->hi - f->lo == 63 ? ~(uint64_t)0 : ((uint64_t)1 << (f->hi - f->lo + 1)) - 1;
        if (v & ~width_mask)
            FAIL("%s: value of field %s does not fit bits %d:%d", where, key, f->hi, f->lo);
        *pte = (*pte & ~(width_mask << f->lo)) | (v << f->lo);
    }
    return 0;
}

static int parse_u64(json_t *obj, const char *key, uint64_t *out, const char *where, char *err,
                     size_t errlen)
{
    if (hex64_parse(json_object_get(obj, key), out) != 0)
        FAIL("%s: %s must be a hex string", where, key);
    return 0;
}

/* A RootArg: a granule-aligned PA inside memory, or a builder tree. */
static int parse_root(rv_machine *m, json_t *root, uint64_t *out, const char *where, char *err,
                      size_t errlen)
{
    json_t *tree = json_object_get(root, "tree");
    if (json_is_object(root)) {
        if (!json_is_integer(tree) || json_integer_value(tree) < 0 ||
            json_integer_value(tree) >= m->ntrees)
            FAIL("%s: root names no tree of the setup", where);
        *out = m->roots[json_integer_value(tree)];
        return 0;
    }
    if (hex64_parse(root, out) != 0 || (*out & (PAGE_SIZE - 1)))
        FAIL("%s: root must be a 4 KiB aligned hex address or {\"tree\": N}", where);
    return 0;
}

static int apply_features(rv_features *f, json_t *features, const char *where, char *err,
                          size_t errlen)
{
    const char *key;
    json_t *value;
    if (!json_is_object(features))
        FAIL("%s: features must be an object", where);
    json_object_foreach(features, key, value)
    {
        bool *slot = strcmp(key, "SUM") == 0           ? &f->sum
                     : strcmp(key, "MXR") == 0         ? &f->mxr
                     : strcmp(key, "ADUE") == 0        ? &f->adue
                     : strcmp(key, "Svnapot") == 0     ? &f->svnapot
                     : strcmp(key, "PBMTE") == 0       ? &f->pbmte
                     : strcmp(key, "Svrsw60t59b") == 0 ? &f->svrsw60t59b
                     : strcmp(key, "C") == 0           ? &f->no_c
                                                       : NULL;
        if (!slot)
            FAIL("%s: %s is not a riscv64 feature", where, key);
        if (!json_is_boolean(value))
            FAIL("%s: feature %s must be a boolean", where, key);
        *slot = json_is_true(value) != (slot == &f->no_c);
    }
    return 0;
}

static int tree_of(json_t *root)
{
    json_t *tree = json_object_get(root, "tree");
    return json_is_object(root) && json_is_integer(tree) ? (int)json_integer_value(tree) : -1;
}

static int count_trees(json_t *setup, json_t *steps)
{
    size_t k;
    json_t *item;
    int max = 0;
    json_array_foreach(json_object_get(setup, "map"), k, item)
    {
        json_t *tree = json_object_get(item, "tree");
        if (json_is_integer(tree) && json_integer_value(tree) > max)
            max = (int)json_integer_value(tree);
    }
    json_array_foreach(json_object_get(setup, "cpus"), k, item)
    {
        int t = tree_of(json_object_get(item, "root"));
        max = t > max ? t : max;
    }
    json_array_foreach(steps, k, item)
    {
        int t = tree_of(json_object_get(json_object_get(item, "args"), "root"));
        max = t > max ? t : max;
    }
    return max + 1;
}

static int alloc_table(rv_machine *m, uint64_t *next, uint64_t *out, char *err, size_t errlen)
{
    if (!mem_contains(&m->mem, *next, PAGE_SIZE))
        FAIL("setup: no room for a page table at 0x%016llx", (unsigned long long)*next);
    *out = *next;
    *next += PAGE_SIZE;
    return 0;
}

static int size_level(const char *size)
{
    static const char *const sizes[] = {"4K", "2M", "1G", "512G", "256T"};
    for (int i = 0; i < 5; i++)
        if (strcmp(size, sizes[i]) == 0)
            return i;
    return -1;
}

/* The radix builder (vector-file.schema.json Setup, Mapping): tables on the path are created or
 * followed, the leaf is the `leaf` format with V=1, the PPN and `fields`; then `tables` fields are
 * set in the pointers on the path. */
static int map_one(rv_machine *m, json_t *map, size_t index, uint64_t *next, char *err,
                   size_t errlen)
{
    char where[48];
    uint64_t va, pa, a, leaf, slots[5] = {0};
    json_t *size = json_object_get(map, "size"), *tree = json_object_get(map, "tree");
    json_t *tables = json_object_get(map, "tables");
    int level, t = 0;
    const char *key;
    json_t *value;

    snprintf(where, sizeof where, "setup/map/%zu", index);
    if (parse_u64(map, "va", &va, where, err, errlen) ||
        parse_u64(map, "pa", &pa, where, err, errlen))
        return -1;
    if (!json_is_string(size) || (level = size_level(json_string_value(size))) < 0 ||
        level >= m->levels)
        FAIL("%s: size is not a leaf size of this mode", where);
    if (tree) {
        if (!json_is_integer(tree) || json_integer_value(tree) < 0 ||
            json_integer_value(tree) >= MAX_TREES)
            FAIL("%s: bad tree", where);
        t = (int)json_integer_value(tree);
    }
    uint64_t bytes = (uint64_t)1 << (PAGE_SHIFT + 9 * level);
    if ((va & (bytes - 1)) || !va_canonical(m, va))
        FAIL("%s: va must be canonical and aligned to its size", where);
    if ((pa & (bytes - 1)) || !mem_contains(&m->mem, pa, bytes))
        FAIL("%s: pa must be aligned to its size and inside memory", where);

    a = m->roots[t];
    for (int i = m->levels - 1; i > level; i--) {
        uint64_t slot = a + vpn(va, i) * PTESIZE, pte = mem_read64(&m->mem, slot);
        slots[i] = slot;
        if (pte == 0) {
            if (alloc_table(m, next, &a, err, errlen))
                return -1;
            mem_write64(&m->mem, slot, ((a >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V);
        } else if ((pte & PTE_V) && !(pte & (PTE_R | PTE_W | PTE_X))) {
            a = pte_ppn(pte) << PAGE_SHIFT;
        } else {
            FAIL("%s: overlaps an earlier mapping", where);
        }
    }
    uint64_t slot = a + vpn(va, level) * PTESIZE;
    if (mem_read64(&m->mem, slot) != 0)
        FAIL("%s: overlaps an earlier mapping", where);
    leaf = PTE_V | ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT);
    if (apply_fields(json_object_get(map, "fields"), leaf_fields, &leaf, where, err, errlen))
        return -1;
    mem_write64(&m->mem, slot, leaf);

    if (tables && !json_is_object(tables))
        FAIL("%s: tables must be an object", where);
    json_object_foreach(tables, key, value)
    {
        int i = level_by_name(m, key);
        uint64_t pte;
        if (i <= level)
            FAIL("%s: tables.%s is not a table entry on this mapping's path", where, key);
        pte = mem_read64(&m->mem, slots[i]);
        if (apply_fields(value, table_fields, &pte, where, err, errlen))
            return -1;
        mem_write64(&m->mem, slots[i], pte);
    }
    return 0;
}

static int build(rv_machine *m, json_t *setup, json_t *steps, char *err, size_t errlen)
{
    json_t *memory = json_object_get(setup, "memory"), *item;
    json_t *cpus = json_object_get(setup, "cpus");
    uint64_t next;
    size_t k;

    if (!json_is_object(setup))
        FAIL("setup is missing");
    if (parse_u64(memory, "base", &m->mem.base, "setup/memory", err, errlen) ||
        parse_u64(memory, "size", &m->mem.size, "setup/memory", err, errlen))
        return -1;
    if ((m->mem.base | m->mem.size) & (PAGE_SIZE - 1) || m->mem.size == 0)
        FAIL("setup/memory: base and size must be multiples of 4 KiB");
    next = m->mem.base;
    if (json_object_get(setup, "tables") &&
        parse_u64(setup, "tables", &next, "setup", err, errlen))
        return -1;
    if (next & (PAGE_SIZE - 1))
        FAIL("setup: tables must be 4 KiB aligned");

    /* roots of trees 0..n first */
    m->ntrees = count_trees(setup, steps);
    if (m->ntrees > MAX_TREES)
        FAIL("setup: more than %d trees", MAX_TREES);
    for (int t = 0; t < m->ntrees; t++)
        if (alloc_table(m, &next, &m->roots[t], err, errlen))
            return -1;
    json_array_foreach(json_object_get(setup, "map"), k, item)
    {
        if (map_one(m, item, k, &next, err, errlen))
            return -1;
    }
    json_array_foreach(json_object_get(setup, "words"), k, item)
    {
        uint64_t pa, value;
        if (parse_u64(item, "pa", &pa, "setup/words", err, errlen) ||
            parse_u64(item, "value", &value, "setup/words", err, errlen))
            return -1;
        if ((pa & 7) || !mem_contains(&m->mem, pa, 8))
            FAIL("setup/words/%zu: pa must be 8-byte aligned and inside memory", k);
        mem_write64(&m->mem, pa, value);
    }

    m->nharts = cpus ? (int)json_array_size(cpus) : 1;
    if (m->nharts < 1 || m->nharts > MAX_HARTS)
        FAIL("setup/cpus: 1 to %d CPUs", MAX_HARTS);
    for (int c = 0; c < m->nharts; c++) {
        hart *h = &m->harts[c];
        json_t *cpu = json_array_get(cpus, (size_t)c), *root = json_object_get(cpu, "root");
        json_t *asid = json_object_get(cpu, "asid"), *features = json_object_get(cpu, "features");
        char where[32];
        snprintf(where, sizeof where, "setup/cpus/%d", c);
        h->root = m->roots[0];
        if (root && parse_root(m, root, &h->root, where, err, errlen))
            return -1;
        if (asid) {
            if (!json_is_integer(asid) || json_integer_value(asid) < 0 ||
                json_integer_value(asid) > 0xffff)
                FAIL("%s: asid must be 0..65535", where);
            h->asid = (uint16_t)json_integer_value(asid);
        }
        if (features && apply_features(&h->feat, features, where, err, errlen))
            return -1;
    }
    return 0;
}

rv_machine *rv_machine_new(const char *mode, json_t *setup, json_t *steps, char *err,
                           size_t errlen)
{
    rv_machine *m = xcalloc(1, sizeof *m);
    if (strcmp(mode, "sv39") == 0)
        m->levels = 3;
    else if (strcmp(mode, "sv48") == 0)
        m->levels = 4;
    else if (strcmp(mode, "sv57") == 0)
        m->levels = 5;
    else {
        snprintf(err, errlen, "riscv64 mode %s is not supported", mode);
        free(m);
        return NULL;
    }
    if (build(m, setup, steps, err, errlen)) {
        rv_machine_free(m);
        return NULL;
    }
    return m;
}

void rv_machine_free(rv_machine *m)
{
    if (!m)
        return;
    mem_free(&m->mem);
    free(m);
}

/* ---------------------------------------------------------------- steps */

/* Rejects argument keys outside `allowed` (NULL-terminated). */
static int check_args(json_t *args, const char *op, const char *const *allowed, char *err,
                      size_t errlen)
{
    const char *key;
    json_t *value;
    json_object_foreach(args, key, value)
    {
        const char *const *a = allowed;
        (void)value;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a)
            FAIL("%s: unexpected argument %s", op, key);
    }
    return 0;
}

static int arg_hart(rv_machine *m, json_t *args, const char *op, hart **out, char *err,
                    size_t errlen)
{
    json_t *cpu = json_object_get(args, "cpu");
    json_int_t c = 0;
    if (cpu) {
        if (!json_is_integer(cpu))
            FAIL("%s: cpu must be an integer", op);
        c = json_integer_value(cpu);
    }
    if (c < 0 || c >= m->nharts)
        FAIL("%s: cpu %lld is not in setup.cpus", op, (long long)c);
    *out = &m->harts[c];
    return 0;
}

static json_t *outcome_json(const rv_machine *m, const outcome *o, uint64_t va)
{
    json_t *updates = json_array();
    uint64_t stval = va;
    for (int k = 0; k < o->nupd; k++)
        json_array_append_new(updates, json_pack("{s:o,s:o}", "pa", hex64_json(o->upd[k].pa),
                                                 "value", hex64_json(o->upd[k].value)));
    if (!o->fault)
        return json_pack("{s:{s:o,s:s},s:o}", "translated", "pa", hex64_json(o->pa), "level",
                         level_name(m, o->level), "updates", updates);
#ifdef PTVEC_BUG_STVAL_PAGE_BASE
    /* stval written from the faulting page number, without the page offset */
    stval = va & ~(PAGE_SIZE - 1);
#endif
    return json_pack("{s:{s:s,s:o,s:{s:i,s:o}},s:o}", "fault", "class", o->cls, "level",
                     o->level < 0 ? json_null() : json_string(level_name(m, o->level)), "report",
                     "scause", o->scause, "stval", hex64_json(stval), "updates", updates);
}

static int step_access(rv_machine *m, json_t *args, json_t **result, char *err, size_t errlen)
{
    static const char *const allowed[] = {"cpu", "va", "access", "priv", NULL};
    const char *access = json_string_value(json_object_get(args, "access"));
    const char *priv = json_string_value(json_object_get(args, "priv"));
    hart *h;
    uint64_t va;
    int acc = -1;
    outcome o;

    if (check_args(args, "access", allowed, err, errlen) ||
        arg_hart(m, args, "access", &h, err, errlen) ||
        parse_u64(args, "va", &va, "access", err, errlen))
        return -1;
    for (int k = 0; access && k < 3; k++)
        if (strcmp(access, acc_names[k]) == 0)
            acc = k;
    if (acc < 0)
        FAIL("access: access must be load, store or fetch");
    if (!priv || (strcmp(priv, "user") != 0 && strcmp(priv, "supervisor") != 0))
        FAIL("access: priv must be user or supervisor");
    translate(m, h, va, (acc_t)acc, strcmp(priv, "user") == 0, &o);
    *result = outcome_json(m, &o, va);
    return 0;
}

static int step_read(rv_machine *m, json_t *args, json_t **result, char *err, size_t errlen)
{
    static const char *const allowed[] = {"pa", NULL};
    uint64_t pa;
    if (check_args(args, "read", allowed, err, errlen) ||
        parse_u64(args, "pa", &pa, "read", err, errlen))
        return -1;
    if ((pa & 7) || !mem_contains(&m->mem, pa, 8))
        FAIL("read: pa must be 8-byte aligned and inside memory");
    *result = hex64_json(mem_read64(&m->mem, pa));
    return 0;
}

static int step_write(rv_machine *m, json_t *args, json_t **result, char *err, size_t errlen)
{
    static const char *const allowed[] = {"pa", "value", NULL};
    uint64_t pa, value;
    if (check_args(args, "write", allowed, err, errlen) ||
        parse_u64(args, "pa", &pa, "write", err, errlen) ||
        parse_u64(args, "value", &value, "write", err, errlen))
        return -1;
    if ((pa & 7) || !mem_contains(&m->mem, pa, 8))
        FAIL("write: pa must be 8-byte aligned and inside memory");
    /* a software store: no address-translation cache is touched */
    mem_write64(&m->mem, pa, value);
    *result = json_null();
    return 0;
}

static int step_set_features(rv_machine *m, json_t *args, json_t **result, char *err,
                             size_t errlen)
{
    static const char *const allowed[] = {"cpu", "features", NULL};
    hart *h;
    /* SUM/MXR/ADUE/PBMTE writes take effect at once and touch no cache */
    if (check_args(args, "set_features", allowed, err, errlen) ||
        arg_hart(m, args, "set_features", &h, err, errlen) ||
        apply_features(&h->feat, json_object_get(args, "features"), "set_features", err, errlen))
        return -1;
    *result = json_null();
    return 0;
}

static int step_sfence_vma(rv_machine *m, json_t *args, json_t **result, char *err, size_t errlen)
{
    static const char *const allowed[] = {"cpu", "va", "asid", NULL};
    json_t *asid = json_object_get(args, "asid");
    bool has_va = json_object_get(args, "va") != NULL;
    uint64_t va = 0;
    hart *h;
    if (check_args(args, "sfence_vma", allowed, err, errlen) ||
        arg_hart(m, args, "sfence_vma", &h, err, errlen) ||
        (has_va && parse_u64(args, "va", &va, "sfence_vma", err, errlen)))
        return -1;
    if (asid && (!json_is_integer(asid) || json_integer_value(asid) < 0 ||
                 json_integer_value(asid) > 0xffff))
        FAIL("sfence_vma: asid must be 0..65535");
    sfence_vma(m, h, has_va, va, asid != NULL, asid ? (uint64_t)json_integer_value(asid) : 0);
    *result = json_null();
    return 0;
}

static int step_write_satp(rv_machine *m, json_t *args, json_t **result, char *err, size_t errlen)
{
    static const char *const allowed[] = {"cpu", "root", "asid", NULL};
    json_t *asid = json_object_get(args, "asid");
    uint64_t root;
    hart *h;
    if (check_args(args, "write_satp", allowed, err, errlen) ||
        arg_hart(m, args, "write_satp", &h, err, errlen) ||
        parse_root(m, json_object_get(args, "root"), &root, "write_satp", err, errlen))
        return -1;
    if (asid && (!json_is_integer(asid) || json_integer_value(asid) < 0 ||
                 json_integer_value(asid) > 0xffff))
        FAIL("write_satp: asid must be 0..65535");
    /* CSRW satp neither orders nor invalidates */
    h->root = root;
    h->asid = asid ? (uint16_t)json_integer_value(asid) : 0;
    *result = json_null();
    return 0;
}

int rv_step(void *machine, const char *op, json_t *args, json_t **result, const char **unsupported,
            char *err, size_t errlen)
{
    rv_machine *m = machine;
    if (!json_is_object(args))
        FAIL("%s: args must be an object", op);
    if (strcmp(op, "access") == 0)
        return step_access(m, args, result, err, errlen);
    if (strcmp(op, "read") == 0)
        return step_read(m, args, result, err, errlen);
    if (strcmp(op, "write") == 0)
        return step_write(m, args, result, err, errlen);
    if (strcmp(op, "set_features") == 0)
        return step_set_features(m, args, result, err, errlen);
    if (strcmp(op, "sfence_vma") == 0)
        return step_sfence_vma(m, args, result, err, errlen);
    if (strcmp(op, "write_satp") == 0)
        return step_write_satp(m, args, result, err, errlen);
    snprintf(m->unsupported, sizeof m->unsupported, "ptvec-c has no riscv64 op %s", op);
    *unsupported = m->unsupported;
    return 1;
}

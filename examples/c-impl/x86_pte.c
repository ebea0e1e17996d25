/* x86_64 Linux v6.19 page-table helpers: the ops of the `pte` family.
 *
 * Written from arch/x86/include/asm/{pgtable_types.h,pgtable.h,pgtable_64.h,pgtable-invert.h},
 * arch/x86/mm/{pgtable.c,pgprot.c}, include/linux/{swap.h,swapops.h,leafops.h,userfaultfd_k.h}
 * and include/asm-generic/pgtable_uffd.h (line numbers are v6.19's, kernel-facts.md §2, §5).
 * Platform: 4 KiB pages, __PHYSICAL_MASK_SHIFT 52 with or without LA57 (page_64_types.h:50), so
 * 4level and 5level share every helper; no SME/TDX (PAGE_CC = PAGE_ENC = 0); a CPU with NX and
 * PGE, so __supported_pte_mask = ~0 and check_pgprot() is the identity; CONFIG_NUMA_BALANCING=y
 * (pte_protnone/pmd_protnone exist only with it). */

#include "x86_pte.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BIT(n) ((uint64_t)1 << (n))

/* pgtable_types.h:10-49 */
#define PAGE_BIT_RW 1
#define PAGE_BIT_DIRTY 6
#define PAGE_BIT_SAVED_DIRTY 58 /* PAGE_BIT_SOFTW5, 64-bit only */
#define PAGE_PRESENT BIT(0)
#define PAGE_RW BIT(PAGE_BIT_RW)
#define PAGE_USER BIT(2)
#define PAGE_PWT BIT(3)
#define PAGE_PCD BIT(4)
#define PAGE_ACCESSED BIT(5)
#define PAGE_DIRTY BIT(PAGE_BIT_DIRTY)
#define PAGE_PSE BIT(7)
#define PAGE_PAT BIT(7)
#define PAGE_PROTNONE BIT(8) /* PAGE_BIT_GLOBAL, when P=0 */
#define PAGE_SPECIAL BIT(9)
#define PAGE_BIT_UFFD_WP 10
#define PAGE_BIT_SOFT_DIRTY 11
#define PAGE_PAT_LARGE BIT(12)
#define PAGE_SAVED_DIRTY BIT(PAGE_BIT_SAVED_DIRTY)
#define PAGE_BIT_PKEY_BIT0 59
#define PAGE_NX BIT(63)
#define PAGE_KNL_ERRATUM_MASK (PAGE_DIRTY | PAGE_ACCESSED)  /* pgtable_types.h:86 */
#define PAGE_DIRTY_BITS (PAGE_DIRTY | PAGE_SAVED_DIRTY)     /* pgtable_types.h:139 */
#define KERNPG_TABLE (PAGE_PRESENT | PAGE_RW | PAGE_ACCESSED | PAGE_DIRTY)
/* Swap ptes: pgtable_types.h:108,115; pgtable_64_types.h:196 */
#define PAGE_BIT_SWP_SOFT_DIRTY PAGE_BIT_RW
#define PAGE_BIT_SWP_UFFD_WP 2
#define PAGE_SWP_EXCLUSIVE PAGE_PWT

/* page_types.h:16-18, pgtable_types.h:285: PTE_PFN_MASK and the huge-page masks, 52-bit PA */
#define PAGE_SHIFT 12
#define PHYSICAL_MASK (BIT(52) - 1)
#define PTE_PFN_MASK (~(BIT(12) - 1) & PHYSICAL_MASK)
#define PHYSICAL_PMD_PAGE_MASK (~(BIT(21) - 1) & PHYSICAL_MASK)
#define PHYSICAL_PUD_PAGE_MASK (~(BIT(30) - 1) & PHYSICAL_MASK)
#define PTE_FLAGS_MASK (~PTE_PFN_MASK)

/* pgtable_types.h:205-212 */
#define PAGE_NONE (PAGE_PROTNONE | PAGE_ACCESSED)
#define PAGE_SHARED (PAGE_PRESENT | PAGE_RW | PAGE_USER | PAGE_ACCESSED | PAGE_NX)
#define PAGE_SHARED_EXEC (PAGE_PRESENT | PAGE_RW | PAGE_USER | PAGE_ACCESSED)
#define PAGE_COPY (PAGE_PRESENT | PAGE_USER | PAGE_ACCESSED | PAGE_NX)
#define PAGE_COPY_EXEC (PAGE_PRESENT | PAGE_USER | PAGE_ACCESSED)
#define PAGE_READONLY PAGE_COPY
#define PAGE_READONLY_EXEC PAGE_COPY_EXEC

/* pgtable_64.h:184-240: | TYPE (59-63) | ~OFFSET (9-58) | flags (0-8) | */
#define SWP_TYPE_BITS 5
#define SWP_OFFSET_FIRST_BIT 9 /* PAGE_BIT_PROTNONE + 1 */
#define SWP_OFFSET_SHIFT (SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS)

/* swapops.h:27-28: SWP_TYPE_SHIFT = BITS_PER_XA_VALUE (63) - MAX_SWAPFILES_SHIFT (5) */
#define MAX_SWAPFILES_SHIFT 5
#define SWP_TYPE_SHIFT (63 - MAX_SWAPFILES_SHIFT)
#define SWP_OFFSET_MASK (BIT(SWP_TYPE_SHIFT) - 1)

/* swapops.h:281-300 */
#define PTE_MARKER_UFFD_WP BIT(0)
#define PTE_MARKER_POISONED BIT(1)
#define PTE_MARKER_GUARD BIT(2)
#define PTE_MARKER_MASK (BIT(3) - 1)

/* include/linux/mm.h: vm_flags bits */
#define VM_READ BIT(0)
#define VM_WRITE BIT(1)
#define VM_EXEC BIT(2)
#define VM_SHARED BIT(3)
#define VM_PKEY_SHIFT 32 /* VM_HIGH_ARCH_BIT_0 */
#define VM_HIGH_ARCH_5 BIT(37)

/* The kernel configuration a vector selects, as the masks and numbers it yields. */
struct x86 {
	uint64_t soft_dirty;     /* PAGE_SOFT_DIRTY: bit 11 with CONFIG_MEM_SOFT_DIRTY */
	uint64_t swp_soft_dirty; /* PAGE_SWP_SOFT_DIRTY: bit 1 with CONFIG_MEM_SOFT_DIRTY */
	uint64_t uffd_wp;        /* PAGE_UFFD_WP: bit 10 with CONFIG_HAVE_ARCH_USERFAULTFD_WP */
	uint64_t swp_uffd_wp;    /* PAGE_SWP_UFFD_WP: bit 2 likewise */
	bool have_uffd_wp;       /* x86 Kconfig:212 HAVE_ARCH_USERFAULTFD_WP if X86_64 && USERFAULTFD */
	bool marker_uffd_wp;     /* CONFIG_PTE_MARKER_UFFD_WP */
	bool thp;                /* CONFIG_TRANSPARENT_HUGEPAGE (and with it *_PFNMAP) */
	bool shstk;              /* cpu_feature_enabled(X86_FEATURE_SHSTK) */
	uint64_t vm_shadow_stack;/* VM_SHADOW_STACK: VM_HIGH_ARCH_5, or VM_NONE without the config */
	bool pkeys;              /* CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS (ARCH_HAS_PKEYS) */
	bool migration, device_private, memory_failure;
	/* swap.h:49,62-118 */
	unsigned max_swapfiles, swp_hwpoison, swp_migration_read, swp_device_write, swp_pte_marker;
};

/* ---- pgtable-invert.h:16-25: every non-zero P=0 value has its PFN stored inverted (L1TF) ---- */

static bool pte_needs_invert(uint64_t val)
{
	return val && !(val & PAGE_PRESENT);
}

static uint64_t protnone_mask(uint64_t val)
{
	return pte_needs_invert(val) ? ~(uint64_t)0 : 0;
}

static uint64_t flip_protnone_guard(uint64_t oldval, uint64_t val, uint64_t mask)
{
	if (pte_needs_invert(oldval) != pte_needs_invert(val))
		val = (val & ~mask) | (~val & mask);
	return val;
}

/* ---- pgtable_types.h: the flags of an entry (a huge pmd/pud has a narrower PFN field) ---- */

static uint64_t entry_val(uint64_t v)
{
	return v;
}

static uint64_t pte_flags(uint64_t v)
{
	return v & PTE_FLAGS_MASK;
}

static uint64_t pmd_pfn_mask(uint64_t v)
{
	return (v & PAGE_PSE) ? PHYSICAL_PMD_PAGE_MASK : PTE_PFN_MASK;
}

static uint64_t pmd_flags(uint64_t v)
{
	return v & ~pmd_pfn_mask(v);
}

static uint64_t pud_pfn_mask(uint64_t v)
{
	return (v & PAGE_PSE) ? PHYSICAL_PUD_PAGE_MASK : PTE_PFN_MASK;
}

static uint64_t pud_flags(uint64_t v)
{
	return v & ~pud_pfn_mask(v);
}

/* pgtable.h massage_pgprot/check_pgprot: a present prot is masked with __supported_pte_mask (~0) */
static uint64_t check_pgprot(uint64_t prot)
{
	return prot;
}

/* ---- pgtable.h:361-404: Dirty <-> SavedDirty, so that no Write=0,Dirty=1 (shadow stack) entry
 * is made by accident. Dirty moves to SavedDirty only if RW=0, back only if RW=1. ---- */

static uint64_t mksaveddirty_shift(uint64_t v)
{
	uint64_t cond = (~v >> PAGE_BIT_RW) & 1;

	v |= ((v >> PAGE_BIT_DIRTY) & cond) << PAGE_BIT_SAVED_DIRTY;
	v &= ~(cond << PAGE_BIT_DIRTY);
	return v;
}

static uint64_t clear_saveddirty_shift(uint64_t v)
{
	uint64_t cond = (v >> PAGE_BIT_RW) & 1;

	v |= ((v >> PAGE_BIT_SAVED_DIRTY) & cond) << PAGE_BIT_DIRTY;
	v &= ~(cond << PAGE_BIT_SAVED_DIRTY);
	return v;
}

/* ---- the helpers that only test, set or clear bits; a mask may depend on the config
 * (0 when the kernel does not define the bit, which gives the asm-generic no-op) ---- */

#define TEST(name, flags, mask) \
	static bool name(const struct x86 *c, uint64_t v) { (void)c; return flags(v) & (mask); }
#define SET(name, mask) \
	static uint64_t name(const struct x86 *c, uint64_t v) { (void)c; return v | (mask); }
#define CLEAR(name, mask) \
	static uint64_t name(const struct x86 *c, uint64_t v) { (void)c; return v & ~(mask); }

/* pgtable.h:155-252, 421-500, 659-700, 966 */
TEST(pte_present, pte_flags, PAGE_PRESENT | PAGE_PROTNONE)
TEST(pte_dirty, pte_flags, PAGE_DIRTY_BITS)
TEST(pte_young, pte_flags, PAGE_ACCESSED)
TEST(pte_special, pte_flags, PAGE_SPECIAL)
TEST(pte_uffd_wp, pte_flags, c->uffd_wp)
TEST(pte_soft_dirty, pte_flags, c->soft_dirty)
SET(pte_mkyoung, PAGE_ACCESSED)
CLEAR(pte_mkold, PAGE_ACCESSED)
CLEAR(pte_mkclean, PAGE_DIRTY_BITS)
SET(pte_mkwrite_novma, PAGE_RW) /* :471: SavedDirty stays where it is */
SET(pte_mkspecial, PAGE_SPECIAL)
CLEAR(pte_clear_uffd_wp, c->uffd_wp)
SET(pte_mksoft_dirty, c->soft_dirty)
CLEAR(pte_clear_soft_dirty, c->soft_dirty)

/* pgtable.h pte_swp_*: flag bits 1-3 of a swap pte */
TEST(pte_swp_exclusive, pte_flags, PAGE_SWP_EXCLUSIVE)
TEST(pte_swp_soft_dirty, pte_flags, c->swp_soft_dirty)
TEST(pte_swp_uffd_wp, pte_flags, c->swp_uffd_wp)
SET(pte_swp_mkexclusive, PAGE_SWP_EXCLUSIVE)
CLEAR(pte_swp_clear_exclusive, PAGE_SWP_EXCLUSIVE)
SET(pte_swp_mksoft_dirty, c->swp_soft_dirty)
CLEAR(pte_swp_clear_soft_dirty, c->swp_soft_dirty)
SET(pte_swp_mkuffd_wp, c->swp_uffd_wp)
CLEAR(pte_swp_clear_uffd_wp, c->swp_uffd_wp)

/* pgtable.h:166-304, 506-700, 984; pmd_special needs CONFIG_ARCH_SUPPORTS_PMD_PFNMAP, which
 * needs THP (include/linux/mm.h has the false/identity fallback) */
TEST(pmd_present, pmd_flags, PAGE_PRESENT | PAGE_PROTNONE | PAGE_PSE) /* PSE: THP split */
TEST(pmd_leaf, pmd_flags, PAGE_PSE)
TEST(pmd_dirty, pmd_flags, PAGE_DIRTY_BITS)
TEST(pmd_young, pmd_flags, PAGE_ACCESSED)
TEST(pmd_uffd_wp, pmd_flags, c->uffd_wp)
TEST(pmd_soft_dirty, pmd_flags, c->soft_dirty)
TEST(pmd_special, pmd_flags, c->thp ? PAGE_SPECIAL : 0)
SET(pmd_mkyoung, PAGE_ACCESSED)
CLEAR(pmd_mkold, PAGE_ACCESSED)
CLEAR(pmd_mkclean, PAGE_DIRTY_BITS)
SET(pmd_mkwrite_novma, PAGE_RW)
SET(pmd_mkhuge, PAGE_PSE)
SET(pmd_mkspecial, c->thp ? PAGE_SPECIAL : 0)
CLEAR(pmd_clear_uffd_wp, c->uffd_wp)
SET(pmd_mksoft_dirty, c->soft_dirty)
CLEAR(pmd_clear_soft_dirty, c->soft_dirty)

/* pgtable.h:190-235, 1044-1075; pud_write has no shadow-stack test (:231-235) */
TEST(pud_present, pud_flags, PAGE_PRESENT)
TEST(pud_leaf, entry_val, PAGE_PSE)
TEST(pud_write, pud_flags, PAGE_RW)
TEST(pud_dirty, pud_flags, PAGE_DIRTY_BITS)
TEST(pud_young, pud_flags, PAGE_ACCESSED)
TEST(pud_special, pud_flags, c->thp ? PAGE_SPECIAL : 0)
SET(pud_mkyoung, PAGE_ACCESSED)
CLEAR(pud_mkold, PAGE_ACCESSED)
CLEAR(pud_mkclean, PAGE_DIRTY_BITS)
SET(pud_mkhuge, PAGE_PSE)
SET(pud_mkspecial, c->thp ? PAGE_SPECIAL : 0)

/* ---- pte predicates: pgtable.h:160, 212, 947, 1000 ---- */

static bool pte_shstk(const struct x86 *c, uint64_t v)
{
	return c->shstk && (pte_flags(v) & (PAGE_RW | PAGE_DIRTY)) == PAGE_DIRTY;
}

static bool pte_write(const struct x86 *c, uint64_t v)
{
	return (pte_flags(v) & PAGE_RW) || pte_shstk(c, v);
}

/* :947: A and D alone do not make an entry non-none (KNL erratum) */
static bool pte_none(const struct x86 *c, uint64_t v)
{
	(void)c;
#ifdef PTVEC_BUG_PTE_NONE_STRICT
	return v == 0;
#else
	return !(v & ~PAGE_KNL_ERRATUM_MASK);
#endif
}

static bool pte_protnone(const struct x86 *c, uint64_t v)
{
	(void)c;
	return (pte_flags(v) & (PAGE_PROTNONE | PAGE_PRESENT)) == PAGE_PROTNONE;
}

/* swapops.h:70 */
static uint64_t pte_swp_clear_flags(const struct x86 *c, uint64_t v)
{
	if (pte_swp_exclusive(c, v))
		v = pte_swp_clear_exclusive(c, v);
	if (pte_swp_soft_dirty(c, v))
		v = pte_swp_clear_soft_dirty(c, v);
	if (pte_swp_uffd_wp(c, v))
		v = pte_swp_clear_uffd_wp(c, v);
	return v;
}

/* ---- pte transforms that move dirtiness: pgtable.h:361-471, arch/x86/mm/pgtable.c:802 ---- */

static uint64_t pte_mksaveddirty(const struct x86 *c, uint64_t v)
{
	(void)c;
	return mksaveddirty_shift(v);
}

static uint64_t pte_clear_saveddirty(const struct x86 *c, uint64_t v)
{
	(void)c;
	return clear_saveddirty_shift(v);
}

/* :408: clear RW, then move D to SavedDirty */
static uint64_t pte_wrprotect(const struct x86 *c, uint64_t v)
{
#ifdef PTVEC_BUG_WRPROTECT_DROPS_DIRTY
	(void)c;
	return v & ~(PAGE_RW | PAGE_DIRTY);
#else
	return pte_mksaveddirty(c, v & ~PAGE_RW);
#endif
}

/* :421-434; the asm-generic no-op without HAVE_ARCH_USERFAULTFD_WP */
static uint64_t pte_mkuffd_wp(const struct x86 *c, uint64_t v)
{
	if (!c->have_uffd_wp)
		return v;
	return pte_wrprotect(c, v | c->uffd_wp);
}

/* :452: a read-only pte gets SavedDirty, not Dirty */
static uint64_t pte_mkdirty(const struct x86 *c, uint64_t v)
{
	return pte_mksaveddirty(c, v | PAGE_DIRTY | c->soft_dirty);
}

static uint64_t pte_mkwrite_shstk(const struct x86 *c, uint64_t v)
{
	(void)c;
	return (v & ~PAGE_RW) | PAGE_DIRTY;
}

/* arch/x86/mm/pgtable.c:802 */
static uint64_t pte_mkwrite(const struct x86 *c, uint64_t v, uint64_t vm_flags)
{
	if (vm_flags & c->vm_shadow_stack)
		return pte_mkwrite_shstk(c, v);
	return pte_clear_saveddirty(c, pte_mkwrite_novma(c, v));
}

/* ---- pfn: pgtable.h:263 (pte_pfn, pmd_pfn, pud_pfn), pfn_pte/pfn_pmd/pfn_pud ---- */

static uint64_t pte_pfn(const struct x86 *c, uint64_t v)
{
	(void)c;
#ifdef PTVEC_BUG_PFN_NOT_INVERTED
	return (v & PTE_PFN_MASK) >> PAGE_SHIFT;
#else
	return ((v ^ protnone_mask(v)) & PTE_PFN_MASK) >> PAGE_SHIFT;
#endif
}

static uint64_t pmd_pfn(const struct x86 *c, uint64_t v)
{
	(void)c;
	return ((v ^ protnone_mask(v)) & pmd_pfn_mask(v)) >> PAGE_SHIFT;
}

static uint64_t pud_pfn(const struct x86 *c, uint64_t v)
{
	(void)c;
	return ((v ^ protnone_mask(v)) & pud_pfn_mask(v)) >> PAGE_SHIFT;
}

static uint64_t pfn_entry(uint64_t pfn, uint64_t prot, uint64_t pfn_mask)
{
	uint64_t pa = pfn << PAGE_SHIFT;

	pa ^= protnone_mask(prot);
	return (pa & pfn_mask) | check_pgprot(prot);
}

static uint64_t pfn_pte(const struct x86 *c, uint64_t pfn, uint64_t prot)
{
	(void)c;
	return pfn_entry(pfn, prot, PTE_PFN_MASK);
}

static uint64_t pfn_pmd(const struct x86 *c, uint64_t pfn, uint64_t prot)
{
	(void)c;
	return pfn_entry(pfn, prot, PHYSICAL_PMD_PAGE_MASK);
}

static uint64_t pfn_pud(const struct x86 *c, uint64_t pfn, uint64_t prot)
{
	(void)c;
	return pfn_entry(pfn, prot, PHYSICAL_PUD_PAGE_MASK);
}

/* ---- pte_modify/pmd_modify: pgtable.h:778 and after; masks pgtable_types.h:151-156 ---- */

static uint64_t common_page_chg_mask(const struct x86 *c)
{
	return PTE_PFN_MASK | PAGE_PCD | PAGE_PWT | PAGE_SPECIAL | PAGE_ACCESSED |
	       PAGE_DIRTY_BITS | c->soft_dirty | c->uffd_wp;
}

static uint64_t pte_modify(const struct x86 *c, uint64_t v, uint64_t newprot)
{
	uint64_t chg = common_page_chg_mask(c) | PAGE_PAT;
	uint64_t val = (v & chg) | (check_pgprot(newprot) & ~chg);

	val = flip_protnone_guard(v, val, PTE_PFN_MASK);
	return (v & PAGE_RW) ? mksaveddirty_shift(val) : clear_saveddirty_shift(val);
}

/* pmd_modify keeps _HPAGE_CHG_MASK without the hardware Dirty bit */
static uint64_t pmd_modify(const struct x86 *c, uint64_t v, uint64_t newprot)
{
	uint64_t chg = common_page_chg_mask(c) | PAGE_PSE | PAGE_PAT_LARGE;
	uint64_t val = (v & (chg & ~PAGE_DIRTY)) | (check_pgprot(newprot) & ~chg);

	val = flip_protnone_guard(v, val, PHYSICAL_PMD_PAGE_MASK);
	return (v & PAGE_RW) ? mksaveddirty_shift(val) : clear_saveddirty_shift(val);
}

/* ---- pmd and pud helpers with logic: pgtable.h:166-304, 506-657, 1013-1075 ---- */

static bool pmd_none(const struct x86 *c, uint64_t v)
{
	(void)c;
	return (v & ~PAGE_KNL_ERRATUM_MASK) == 0;
}

static bool pmd_bad(const struct x86 *c, uint64_t v)
{
	(void)c;
	return (pmd_flags(v) & ~(PAGE_USER | PAGE_ACCESSED)) != (KERNPG_TABLE & ~PAGE_ACCESSED);
}

/* :304; include/linux/pgtable.h gives 0 without THP */
static bool pmd_trans_huge(const struct x86 *c, uint64_t v)
{
	return c->thp && (v & PAGE_PSE) == PAGE_PSE;
}

static bool pmd_shstk(const struct x86 *c, uint64_t v)
{
	return c->shstk &&
	       (pmd_flags(v) & (PAGE_RW | PAGE_DIRTY | PAGE_PSE)) == (PAGE_DIRTY | PAGE_PSE);
}

static bool pmd_write(const struct x86 *c, uint64_t v)
{
	return (pmd_flags(v) & PAGE_RW) || pmd_shstk(c, v);
}

static bool pmd_protnone(const struct x86 *c, uint64_t v)
{
	(void)c;
	return (pmd_flags(v) & (PAGE_PROTNONE | PAGE_PRESENT)) == PAGE_PROTNONE;
}

static uint64_t pmd_wrprotect(const struct x86 *c, uint64_t v)
{
	(void)c;
	return mksaveddirty_shift(v & ~PAGE_RW);
}

static uint64_t pmd_mkuffd_wp(const struct x86 *c, uint64_t v)
{
	if (!c->have_uffd_wp)
		return v;
	return pmd_wrprotect(c, v | c->uffd_wp);
}

static uint64_t pmd_mkdirty(const struct x86 *c, uint64_t v)
{
	return mksaveddirty_shift(v | PAGE_DIRTY | c->soft_dirty);
}

/* pfn_pmd(pmd_pfn(pmd), flags without P and PROTNONE): the PFN becomes inverted */
static uint64_t pmd_mkinvalid(const struct x86 *c, uint64_t v)
{
	return pfn_pmd(c, pmd_pfn(c, v), pmd_flags(v) & ~(PAGE_PRESENT | PAGE_PROTNONE));
}

static bool pud_none(const struct x86 *c, uint64_t v)
{
	(void)c;
	return (v & ~PAGE_KNL_ERRATUM_MASK) == 0;
}

static bool pud_bad(const struct x86 *c, uint64_t v)
{
	(void)c;
	return (pud_flags(v) & ~(KERNPG_TABLE | PAGE_USER)) != 0;
}

/* HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD on X86_64; 0 without THP */
static bool pud_trans_huge(const struct x86 *c, uint64_t v)
{
	return c->thp && (v & PAGE_PSE) == PAGE_PSE;
}

static uint64_t pud_wrprotect(const struct x86 *c, uint64_t v)
{
	(void)c;
	return mksaveddirty_shift(v & ~PAGE_RW);
}

static uint64_t pud_mkdirty(const struct x86 *c, uint64_t v)
{
	return mksaveddirty_shift(v | PAGE_DIRTY | c->soft_dirty);
}

/* pud_mkwrite moves SavedDirty back to Dirty, like pte_mkwrite without a shadow-stack vma */
static uint64_t pud_mkwrite(const struct x86 *c, uint64_t v)
{
	(void)c;
	return clear_saveddirty_shift(v | PAGE_RW);
}

static uint64_t pud_mkinvalid(const struct x86 *c, uint64_t v)
{
	return pfn_pud(c, pud_pfn(c, v), pud_flags(v) & ~(PAGE_PRESENT | PAGE_PROTNONE));
}

/* ---- swap entries: pgtable_64.h:213-240 (arch format), swapops.h:84-120 (generic) ---- */

static uint64_t arch_swp_entry(const struct x86 *c, uint64_t type, uint64_t offset)
{
	(void)c;
#ifdef PTVEC_BUG_SWP_OFFSET_NOT_INVERTED
	return (offset << SWP_OFFSET_SHIFT >> SWP_TYPE_BITS) | (type << (64 - SWP_TYPE_BITS));
#else
	return (~offset << SWP_OFFSET_SHIFT >> SWP_TYPE_BITS) | (type << (64 - SWP_TYPE_BITS));
#endif
}

static uint64_t arch_swp_type(const struct x86 *c, uint64_t val)
{
	(void)c;
	return val >> (64 - SWP_TYPE_BITS);
}

static uint64_t arch_swp_offset(const struct x86 *c, uint64_t val)
{
	(void)c;
#ifdef PTVEC_BUG_SWP_OFFSET_NOT_INVERTED
	return val << SWP_TYPE_BITS >> SWP_OFFSET_SHIFT;
#else
	return ~val << SWP_TYPE_BITS >> SWP_OFFSET_SHIFT;
#endif
}

static uint64_t swp_entry(const struct x86 *c, uint64_t type, uint64_t offset)
{
	(void)c;
	return (type << SWP_TYPE_SHIFT) | (offset & SWP_OFFSET_MASK);
}

static uint64_t swp_type(const struct x86 *c, uint64_t e)
{
	(void)c;
	return e >> SWP_TYPE_SHIFT;
}

static uint64_t swp_offset(const struct x86 *c, uint64_t e)
{
	(void)c;
	return e & SWP_OFFSET_MASK;
}

static uint64_t swp_entry_to_pte(const struct x86 *c, uint64_t e)
{
	return arch_swp_entry(c, swp_type(c, e), swp_offset(c, e));
}

static uint64_t pte_to_swp_entry(const struct x86 *c, uint64_t pte)
{
	uint64_t arch = pte_swp_clear_flags(c, pte);

	return swp_entry(c, arch_swp_type(c, arch), arch_swp_offset(c, arch));
}

/* swapops.h:302-310 */
static uint64_t make_pte_marker(const struct x86 *c, uint64_t marker)
{
	return swp_entry_to_pte(c, swp_entry(c, c->swp_pte_marker, marker));
}

/* ---- softleaf: leafops.h:19-35, 55, 140, 317-446 ---- */

enum softleaf_type {
	SOFTLEAF_NONE,
	SOFTLEAF_SWAP,
	SOFTLEAF_MIGRATION_READ,
	SOFTLEAF_MIGRATION_READ_EXCLUSIVE,
	SOFTLEAF_MIGRATION_WRITE,
	SOFTLEAF_DEVICE_PRIVATE_READ,
	SOFTLEAF_DEVICE_PRIVATE_WRITE,
	SOFTLEAF_DEVICE_EXCLUSIVE,
	SOFTLEAF_HWPOISON,
	SOFTLEAF_MARKER,
};

static const char *const softleaf_type_names[] = {
	"SOFTLEAF_NONE",
	"SOFTLEAF_SWAP",
	"SOFTLEAF_MIGRATION_READ",
	"SOFTLEAF_MIGRATION_READ_EXCLUSIVE",
	"SOFTLEAF_MIGRATION_WRITE",
	"SOFTLEAF_DEVICE_PRIVATE_READ",
	"SOFTLEAF_DEVICE_PRIVATE_WRITE",
	"SOFTLEAF_DEVICE_EXCLUSIVE",
	"SOFTLEAF_HWPOISON",
	"SOFTLEAF_MARKER",
};

/* leafops.h:55: a present or none pte gives the empty entry */
static uint64_t softleaf_from_pte(const struct x86 *c, uint64_t pte)
{
	if (pte_present(c, pte) || pte_none(c, pte))
		return 0;
	return pte_to_swp_entry(c, pte);
}

/* leafops.h:140: the SWP_* numbers exist only with their configs; an unknown type is NONE */
static uint64_t softleaf_type(const struct x86 *c, uint64_t e)
{
	unsigned type;

	if (e == 0)
		return SOFTLEAF_NONE;
	type = (unsigned)(e >> SWP_TYPE_SHIFT);
	if (type < c->max_swapfiles)
		return SOFTLEAF_SWAP;
	if (c->migration && type == c->swp_migration_read)
		return SOFTLEAF_MIGRATION_READ;
	if (c->migration && type == c->swp_migration_read + 1)
		return SOFTLEAF_MIGRATION_READ_EXCLUSIVE;
	if (c->migration && type == c->swp_migration_read + 2)
		return SOFTLEAF_MIGRATION_WRITE;
	if (c->device_private && type == c->swp_device_write)
		return SOFTLEAF_DEVICE_PRIVATE_WRITE;
	if (c->device_private && type == c->swp_device_write + 1)
		return SOFTLEAF_DEVICE_PRIVATE_READ;
	if (c->device_private && type == c->swp_device_write + 2)
		return SOFTLEAF_DEVICE_EXCLUSIVE;
	if (c->memory_failure && type == c->swp_hwpoison)
		return SOFTLEAF_HWPOISON;
	if (type == c->swp_pte_marker)
		return SOFTLEAF_MARKER;
	return SOFTLEAF_NONE;
}

static bool softleaf_is_none(const struct x86 *c, uint64_t e)
{
	(void)c;
	return e == 0;
}

static bool softleaf_is_swap(const struct x86 *c, uint64_t e)
{
	return softleaf_type(c, e) == SOFTLEAF_SWAP;
}

static bool softleaf_is_migration(const struct x86 *c, uint64_t e)
{
	uint64_t t = softleaf_type(c, e);

	return t == SOFTLEAF_MIGRATION_READ || t == SOFTLEAF_MIGRATION_READ_EXCLUSIVE ||
	       t == SOFTLEAF_MIGRATION_WRITE;
}

static bool softleaf_is_marker(const struct x86 *c, uint64_t e)
{
	return softleaf_type(c, e) == SOFTLEAF_MARKER;
}

/* leafops.h:317 (only a VM_WARN when the entry is no marker) */
static uint64_t softleaf_to_marker(const struct x86 *c, uint64_t e)
{
	return swp_offset(c, e) & PTE_MARKER_MASK;
}

/* leafops.h:335 */
static bool softleaf_has_pfn(const struct x86 *c, uint64_t e)
{
	uint64_t t = softleaf_type(c, e);

	return softleaf_is_migration(c, e) || t == SOFTLEAF_DEVICE_PRIVATE_READ ||
	       t == SOFTLEAF_DEVICE_PRIVATE_WRITE || t == SOFTLEAF_DEVICE_EXCLUSIVE ||
	       t == SOFTLEAF_HWPOISON;
}

/* leafops.h:415,429,446 */
static bool softleaf_is_poison_marker(const struct x86 *c, uint64_t e)
{
	return softleaf_is_marker(c, e) && (softleaf_to_marker(c, e) & PTE_MARKER_POISONED);
}

static bool softleaf_is_guard_marker(const struct x86 *c, uint64_t e)
{
	return softleaf_is_marker(c, e) && (softleaf_to_marker(c, e) & PTE_MARKER_GUARD);
}

static bool softleaf_is_uffd_wp_marker(const struct x86 *c, uint64_t e)
{
	return softleaf_is_marker(c, e) && (softleaf_to_marker(c, e) & PTE_MARKER_UFFD_WP);
}

/* leafops.h:515,527,544 */
static bool pte_is_marker(const struct x86 *c, uint64_t pte)
{
	return softleaf_is_marker(c, softleaf_from_pte(c, pte));
}

static bool pte_is_uffd_wp_marker(const struct x86 *c, uint64_t pte)
{
	return softleaf_is_uffd_wp_marker(c, softleaf_from_pte(c, pte));
}

static bool pte_is_uffd_marker(const struct x86 *c, uint64_t pte)
{
	uint64_t e = softleaf_from_pte(c, pte);

	return softleaf_is_uffd_wp_marker(c, e) || softleaf_is_poison_marker(c, e);
}

/* userfaultfd_k.h:314; uffd_supports_wp_marker() is asm-generic/pgtable_uffd.h:13-18 */
static bool pte_swp_uffd_wp_any(const struct x86 *c, uint64_t pte)
{
	if (!(c->have_uffd_wp && c->marker_uffd_wp))
		return false;
	if (pte_present(c, pte))
		return false;
	return pte_swp_uffd_wp(c, pte) || pte_is_uffd_wp_marker(c, pte);
}

/* ---- arch/x86/mm/pgprot.c: protection_map and the protection-key bits ---- */

static uint64_t vm_get_page_prot(const struct x86 *c, uint64_t vm_flags)
{
	static const uint64_t protection_map[16] = {
		PAGE_NONE, PAGE_READONLY, PAGE_COPY, PAGE_COPY,
		PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_COPY_EXEC, PAGE_COPY_EXEC,
		PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED,
		PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
	};
	uint64_t val = protection_map[vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED)];

	if (c->pkeys)
		val |= ((vm_flags >> VM_PKEY_SHIFT) & 0xf) << PAGE_BIT_PKEY_BIT0;
	/* __sme_set() is the identity without SME; __supported_pte_mask is ~0 */
	return val;
}

/* ---- configuration ---- */

const char *const x86_pte_config_keys[] = {
	"CONFIG_MEM_SOFT_DIRTY",
	"CONFIG_USERFAULTFD",
	"CONFIG_PTE_MARKER_UFFD_WP",
	"CONFIG_TRANSPARENT_HUGEPAGE",
	"CONFIG_MIGRATION",
	"CONFIG_DEVICE_PRIVATE",
	"CONFIG_MEMORY_FAILURE",
	"X86_FEATURE_SHSTK",
	"CONFIG_X86_USER_SHADOW_STACK",
	"CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS",
	NULL,
};

/* The key's boolean, or the schema default when the key is absent. */
static bool config_bool(json_t *config, const char *key, bool dflt)
{
	json_t *v = json_is_object(config) ? json_object_get(config, key) : NULL;

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static void config_read(json_t *config, struct x86 *c)
{
	bool soft_dirty = config_bool(config, "CONFIG_MEM_SOFT_DIRTY", true);
	bool user_shstk;
	unsigned device, migration, hwpoison;

	memset(c, 0, sizeof(*c));
	c->soft_dirty = soft_dirty ? BIT(PAGE_BIT_SOFT_DIRTY) : 0;
	c->swp_soft_dirty = soft_dirty ? BIT(PAGE_BIT_SWP_SOFT_DIRTY) : 0;
	c->have_uffd_wp = config_bool(config, "CONFIG_USERFAULTFD", true);
	c->uffd_wp = c->have_uffd_wp ? BIT(PAGE_BIT_UFFD_WP) : 0;
	c->swp_uffd_wp = c->have_uffd_wp ? BIT(PAGE_BIT_SWP_UFFD_WP) : 0;
	c->marker_uffd_wp = config_bool(config, "CONFIG_PTE_MARKER_UFFD_WP", true);
	c->thp = config_bool(config, "CONFIG_TRANSPARENT_HUGEPAGE", true);
	c->shstk = config_bool(config, "X86_FEATURE_SHSTK", false);
	/* include/linux/mm.h: VM_SHADOW_STACK = VM_HIGH_ARCH_5, else VM_NONE */
	user_shstk = config_bool(config, "CONFIG_X86_USER_SHADOW_STACK", true);
	c->vm_shadow_stack = user_shstk ? VM_HIGH_ARCH_5 : 0;
	c->pkeys = config_bool(config, "CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS", true);
	c->migration = config_bool(config, "CONFIG_MIGRATION", true);
	c->device_private = config_bool(config, "CONFIG_DEVICE_PRIVATE", true);
	c->memory_failure = config_bool(config, "CONFIG_MEMORY_FAILURE", true);

	/* swap.h:62-118: the special types sit above MAX_SWAPFILES, the marker is always 31 */
	device = c->device_private ? 3 : 0;
	migration = c->migration ? 3 : 0;
	hwpoison = c->memory_failure ? 1 : 0;
	c->max_swapfiles = (1u << MAX_SWAPFILES_SHIFT) - device - migration - hwpoison - 1;
	c->swp_hwpoison = c->max_swapfiles;
	c->swp_migration_read = c->max_swapfiles + hwpoison;
	c->swp_device_write = c->max_swapfiles + hwpoison + migration;
	c->swp_pte_marker = c->max_swapfiles + hwpoison + migration + device;
}

/* ---- arguments ---- */

/* include/linux/mm.h bit numbers of the VmFlag names; the arch ones follow the config. */
static bool vm_flag(const struct x86 *c, const char *name, uint64_t *bit)
{
	static const struct {
		const char *name;
		int bit;
	} flags[] = {
		{"VM_READ", 0},       {"VM_WRITE", 1},       {"VM_EXEC", 2},
		{"VM_SHARED", 3},     {"VM_MAYREAD", 4},     {"VM_MAYWRITE", 5},
		{"VM_MAYEXEC", 6},    {"VM_MAYSHARE", 7},    {"VM_UFFD_MISSING", 9},
		{"VM_PFNMAP", 10},    {"VM_UFFD_WP", 12},    {"VM_IO", 14},
		{"VM_DONTEXPAND", 18}, {"VM_HUGETLB", 22},   {"VM_SOFTDIRTY", 27},
		{"VM_MIXEDMAP", 28},  {"VM_HUGEPAGE", 29},   {"VM_NOHUGEPAGE", 30},
		{"VM_PKEY_BIT0", 32}, {"VM_PKEY_BIT1", 33},  {"VM_PKEY_BIT2", 34},
		{"VM_PKEY_BIT3", 35},
	};

	if (strcmp(name, "VM_SHADOW_STACK") == 0) {
		*bit = c->vm_shadow_stack;
		return true;
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(name, flags[i].name) == 0) {
			/* VM_PKEY_BIT* are VM_NONE without CONFIG_ARCH_HAS_PKEYS */
			*bit = (flags[i].bit >= VM_PKEY_SHIFT && !c->pkeys) ? 0 : BIT(flags[i].bit);
			return true;
		}
	}
	return false;
}

static bool parse_hex64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	s += 2;
	n = strlen(s);
	if (n == 0 || n > 16)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* One argument: a Hex64 (or a non-negative integer), or the vmFlags list as a bit mask. */
static bool arg_value(const struct x86 *c, json_t *args, const char *name, uint64_t *out)
{
	json_t *v = json_is_object(args) ? json_object_get(args, name) : NULL;

	if (strcmp(name, "vmFlags") == 0) {
		size_t i;
		json_t *f;

		if (!json_is_array(v))
			return false;
		*out = 0;
		json_array_foreach(v, i, f) {
			uint64_t bit;

			if (!json_is_string(f) || !vm_flag(c, json_string_value(f), &bit))
				return false;
			*out |= bit;
		}
		return true;
	}
	if (json_is_string(v))
		return parse_hex64(json_string_value(v), out);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	return false;
}

/* ---- the op table ---- */

enum result_kind { RES_BOOL, RES_U64, RES_INT, RES_SOFTLEAF_TYPE };

struct op {
	const char *name;
	const char *arg[2]; /* argument names, arg[1] NULL for one argument */
	enum result_kind res;
	bool (*pred)(const struct x86 *, uint64_t);
	uint64_t (*fn1)(const struct x86 *, uint64_t);
	uint64_t (*fn2)(const struct x86 *, uint64_t, uint64_t);
};

#define PRED(op, a) {#op, {a, NULL}, RES_BOOL, .pred = op}
#define MAP(op, a) {#op, {a, NULL}, RES_U64, .fn1 = op}
#define MAP2(op, a, b) {#op, {a, b}, RES_U64, .fn2 = op}

static const struct op ops[] = {
	PRED(pte_present, "pte"),
	PRED(pte_none, "pte"),
	PRED(pte_write, "pte"),
	PRED(pte_dirty, "pte"),
	PRED(pte_young, "pte"),
	PRED(pte_special, "pte"),
	PRED(pte_protnone, "pte"),
	PRED(pte_uffd_wp, "pte"),
	PRED(pte_soft_dirty, "pte"),
	PRED(pte_swp_uffd_wp, "pte"),
	PRED(pte_swp_soft_dirty, "pte"),
	PRED(pte_swp_exclusive, "pte"),
	PRED(pte_swp_uffd_wp_any, "pte"),
	PRED(pte_is_marker, "pte"),
	PRED(pte_is_uffd_wp_marker, "pte"),
	PRED(pte_is_uffd_marker, "pte"),
	PRED(pte_shstk, "pte"),

	MAP(pte_mkwrite_novma, "pte"),
	MAP(pte_wrprotect, "pte"),
	MAP(pte_mkdirty, "pte"),
	MAP(pte_mkclean, "pte"),
	MAP(pte_mkyoung, "pte"),
	MAP(pte_mkold, "pte"),
	MAP(pte_mkspecial, "pte"),
	MAP(pte_mkuffd_wp, "pte"),
	MAP(pte_clear_uffd_wp, "pte"),
	MAP(pte_mksoft_dirty, "pte"),
	MAP(pte_clear_soft_dirty, "pte"),
	MAP(pte_swp_mkuffd_wp, "pte"),
	MAP(pte_swp_clear_uffd_wp, "pte"),
	MAP(pte_swp_mksoft_dirty, "pte"),
	MAP(pte_swp_clear_soft_dirty, "pte"),
	MAP(pte_swp_mkexclusive, "pte"),
	MAP(pte_swp_clear_exclusive, "pte"),
	MAP(pte_swp_clear_flags, "pte"),
	MAP(pte_mksaveddirty, "pte"),
	MAP(pte_clear_saveddirty, "pte"),
	MAP(pte_mkwrite_shstk, "pte"),
	MAP2(pte_mkwrite, "pte", "vmFlags"),
	MAP2(pte_modify, "value", "prot"),
	MAP2(pmd_modify, "value", "prot"),

	MAP2(pfn_pte, "pfn", "prot"),
	MAP2(pfn_pmd, "pfn", "prot"),
	MAP2(pfn_pud, "pfn", "prot"),
	MAP(pte_pfn, "value"),
	MAP(pmd_pfn, "value"),
	MAP(pud_pfn, "value"),

	PRED(pmd_present, "pmd"),
	PRED(pmd_none, "pmd"),
	PRED(pmd_bad, "pmd"),
	PRED(pmd_leaf, "pmd"),
	PRED(pmd_trans_huge, "pmd"),
	PRED(pmd_write, "pmd"),
	PRED(pmd_dirty, "pmd"),
	PRED(pmd_young, "pmd"),
	PRED(pmd_protnone, "pmd"),
	PRED(pmd_uffd_wp, "pmd"),
	PRED(pmd_soft_dirty, "pmd"),
	PRED(pmd_special, "pmd"),
	MAP(pmd_mkwrite_novma, "pmd"),
	MAP(pmd_wrprotect, "pmd"),
	MAP(pmd_mkdirty, "pmd"),
	MAP(pmd_mkclean, "pmd"),
	MAP(pmd_mkyoung, "pmd"),
	MAP(pmd_mkold, "pmd"),
	MAP(pmd_mkhuge, "pmd"),
	MAP(pmd_mkinvalid, "pmd"),
	MAP(pmd_mkuffd_wp, "pmd"),
	MAP(pmd_clear_uffd_wp, "pmd"),
	MAP(pmd_mksoft_dirty, "pmd"),
	MAP(pmd_clear_soft_dirty, "pmd"),
	MAP(pmd_mkspecial, "pmd"),

	PRED(pud_present, "pud"),
	PRED(pud_none, "pud"),
	PRED(pud_bad, "pud"),
	PRED(pud_leaf, "pud"),
	PRED(pud_trans_huge, "pud"),
	PRED(pud_write, "pud"),
	PRED(pud_dirty, "pud"),
	PRED(pud_young, "pud"),
	PRED(pud_special, "pud"),
	MAP(pud_mkwrite, "pud"),
	MAP(pud_wrprotect, "pud"),
	MAP(pud_mkdirty, "pud"),
	MAP(pud_mkclean, "pud"),
	MAP(pud_mkyoung, "pud"),
	MAP(pud_mkold, "pud"),
	MAP(pud_mkhuge, "pud"),
	MAP(pud_mkinvalid, "pud"),
	MAP(pud_mkspecial, "pud"),

	{"__swp_entry", {"type", "offset"}, RES_U64, .fn2 = arch_swp_entry},
	{"__swp_type", {"entry", NULL}, RES_INT, .fn1 = arch_swp_type},
	{"__swp_offset", {"entry", NULL}, RES_U64, .fn1 = arch_swp_offset},
	MAP2(swp_entry, "type", "offset"),
	{"swp_type", {"entry", NULL}, RES_INT, .fn1 = swp_type},
	MAP(swp_offset, "entry"),
	MAP(swp_entry_to_pte, "entry"),
	{"make_pte_marker", {"marker", NULL}, RES_U64, .fn1 = make_pte_marker},

	MAP(softleaf_from_pte, "pte"),
	{"softleaf_type", {"entry", NULL}, RES_SOFTLEAF_TYPE, .fn1 = softleaf_type},
	{"softleaf_to_marker", {"entry", NULL}, RES_INT, .fn1 = softleaf_to_marker},
	PRED(softleaf_is_none, "entry"),
	PRED(softleaf_is_swap, "entry"),
	PRED(softleaf_is_migration, "entry"),
	PRED(softleaf_is_marker, "entry"),
	PRED(softleaf_is_uffd_wp_marker, "entry"),
	PRED(softleaf_is_poison_marker, "entry"),
	PRED(softleaf_is_guard_marker, "entry"),
	PRED(softleaf_has_pfn, "entry"),

	MAP(vm_get_page_prot, "vmFlags"),
};

static json_t *hex64(uint64_t v)
{
	char buf[19];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
	return json_string(buf);
}

int x86_pte_step(const char *mode, json_t *config, const char *op, json_t *args,
                 json_t **result, const char **unsupported)
{
	const struct op *o = NULL;
	struct x86 c;
	uint64_t a = 0, b = 0, r;

	if (!mode || (strcmp(mode, "4level") != 0 && strcmp(mode, "5level") != 0)) {
		*unsupported = "x86_pte: only the 4level and 5level modes";
		return 1;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && op; i++) {
		if (strcmp(ops[i].name, op) == 0) {
			o = &ops[i];
			break;
		}
	}
	if (!o) {
		*unsupported = "x86_pte: no such x86_64 helper";
		return 1;
	}
	config_read(config, &c);
	if (!arg_value(&c, args, o->arg[0], &a) || (o->arg[1] && !arg_value(&c, args, o->arg[1], &b))) {
		*unsupported = "x86_pte: malformed arguments";
		return 1;
	}

	if (o->pred) {
		*result = json_boolean(o->pred(&c, a));
		return 0;
	}
	r = o->fn2 ? o->fn2(&c, a, b) : o->fn1(&c, a);
	switch (o->res) {
	case RES_INT:
		*result = json_integer((json_int_t)r);
		break;
	case RES_SOFTLEAF_TYPE:
		*result = json_string(softleaf_type_names[r]);
		break;
	default:
		*result = hex64(r);
		break;
	}
	return 0;
}

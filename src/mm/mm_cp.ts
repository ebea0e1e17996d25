// The flags of change_protection (include/linux/mm.h:2821-2828, Linux v6.19).

export const MM_CP_TRY_CHANGE_WRITABLE = 1 << 0;
export const MM_CP_UFFD_WP = 1 << 2;
export const MM_CP_UFFD_WP_RESOLVE = 1 << 3;

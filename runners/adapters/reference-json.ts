// The reference engine's values as the JSON of a step's result (schemas/vector-file.schema.json):
// 64-bit values as fixed-width hex, outcomes, events and entry changes as the vector format has them.

import {
  hex64,
  faultFlagNames,
  vmFaultNames,
  bitmapWords,
  type AccessOutcome,
  type ArchReport,
  type LinuxOpResult,
  type EntryChange,
  type WalkEvent,
  type OpValue,
  type FaultEvent,
  type FaultLoopResult,
  type MprotectResult,
  type DirtyResult,
  type UffdResult,
  type Signal,
} from '../../src/index.ts';
import type { Json } from '../adapter.ts';

type JsonObject = Readonly<Record<string, unknown>>;

const hex = (n: number, digits: number) => '0x' + n.toString(16).padStart(digits, '0');

function reportJson(r: ArchReport): Json {
  if ('exception' in r)
    return r.exception === '#PF'
      ? { exception: r.exception, errorCode: hex(r.errorCode, 4), cr2: hex64(r.cr2) }
      : { exception: r.exception, errorCode: hex(r.errorCode, 4) };
  if ('ec' in r)
    return {
      ec: hex(r.ec, 2),
      fsc: hex(r.fsc, 2),
      ...(r.wnr === undefined ? {} : { wnr: r.wnr }),
      far: hex64(r.far),
    };
  return { scause: r.scause, stval: hex64(r.stval) };
}

function accessJson(o: AccessOutcome): Json {
  const updates = o.updates.map((u) => ({ pa: hex64(BigInt(u.pa)), value: hex64(u.value) }));
  return o.kind === 'translated'
    ? { translated: { pa: hex64(BigInt(o.pa)), level: o.level }, updates }
    : { fault: { class: o.class, level: o.level, report: reportJson(o.report) }, updates };
}

function eventJson(e: WalkEvent): Json {
  const out: Record<string, Json> = {};
  const o = e as unknown as JsonObject;
  for (const k in o) {
    const x = o[k];
    out[k] = typeof x === 'bigint' ? hex64(x) : (x as Json);
  }
  return out;
}

const entryJson = (c: EntryChange, x: bigint): string => (c.isTable(x) ? 'table' : hex64(x));

function changeJson(c: EntryChange): Json {
  return {
    tree: c.tree,
    level: c.level,
    addr: hex64(c.addr),
    old: entryJson(c, c.old),
    new: entryJson(c, c.new),
  };
}

function signalJson(s: Signal): Json {
  return { si_signo: s.signo, si_code: s.code, si_addr: hex64(s.addr) };
}

function faultEventJson(e: FaultEvent): Json {
  const out: Record<string, Json> = {};
  const o = e as unknown as JsonObject;
  for (const k in o) {
    const x = o[k];
    if (k === 'flags') out[k] = faultFlagNames(x as number);
    else if (k === 'ret') out[k] = vmFaultNames(x as number);
    else if (k === 'report') out[k] = reportJson(x as ArchReport);
    else out[k] = typeof x === 'bigint' ? hex64(x) : (x as Json);
  }
  return out;
}

function faultLoopJson(r: FaultLoopResult): Json {
  const o = r.outcome;
  const outcome: Json =
    o.kind === 'translated'
      ? { translated: { pa: hex64(BigInt(o.pa)), level: o.level } }
      : o.kind === 'signal'
        ? { signal: signalJson(o.signal) }
        : o.kind === 'blocked'
          ? { blocked: { uffd: o.uffd, flags: [...o.flags], address: hex64(o.address) } }
          : { pagefault_out_of_memory: true };
  return { outcome, events: r.events.map(faultEventJson), changes: r.changes.map(changeJson) };
}

function uffdJson(r: UffdResult): Json {
  const out: Record<string, Json> = { ret: r.ret };
  if (r.features) out.features = [...r.features];
  if (r.ioctls) out.ioctls = [...r.ioctls];
  if (r.vmas)
    out.vmas = r.vmas.map((v) => ({
      name: v.name,
      flags: [...v.flags],
      vm_page_prot: hex64(v.vm_page_prot),
    }));
  if (r.events) out.events = r.events.map(faultEventJson);
  if (r.changes) out.changes = r.changes.map(changeJson);
  if (r.woken)
    out.woken = r.woken.map((w) => ({
      cpu: w.cpu,
      va: hex64(w.va),
      result: faultLoopJson(w.result),
    }));
  return out;
}

function mprotectJson(r: MprotectResult): Json {
  return {
    ret: r.ret,
    vmas: r.vmas.map((v) => ({
      name: v.name,
      flags: [...v.flags],
      vm_page_prot: hex64(v.vm_page_prot),
    })),
    events: r.events.map(faultEventJson),
    changes: r.changes.map(changeJson),
  };
}

function dirtyJson(r: DirtyResult): Json {
  const c = r.clean;
  return {
    ret: Number(r.ret),
    ...(c ? { bitmap: bitmapWords(c).map(hex64), start: hex64(c.start), end: hex64(c.end) } : {}),
    events: r.events.map(eventJson),
    changes: r.changes.map(changeJson),
  };
}

function linuxJson(r: LinuxOpResult): Json {
  if (r.kind === 'fault_loop') return faultLoopJson(r);
  if (r.kind === 'dirty') return dirtyJson(r);
  if (r.kind === 'mprotect') return mprotectJson(r);
  if (r.kind === 'uffd') return uffdJson(r);
  if (r.kind === 'zap')
    return { ret: r.ret, events: r.events.map(faultEventJson), changes: r.changes.map(changeJson) };
  if (r.kind === 'pagemap') return { entries: r.entries.map(hex64) };
  if (r.kind === 'munmap')
    return {
      ret: r.ret,
      vmas: r.vmas.map((v) => ({
        name: v.name,
        start: hex64(v.start),
        end: hex64(v.end),
        pgoff: hex64(v.pgoff),
        flags: [...v.flags],
        ...(v.uffd === undefined ? {} : { uffd: v.uffd }),
      })),
      events: r.events.map(faultEventJson),
      changes: r.changes.map(changeJson),
      uffd_events: r.uffd_events.map((u) => ({
        uffd: u.uffd,
        event: u.event,
        start: hex64(u.start),
        end: hex64(u.end),
      })),
    };
  if (r.kind === 'pagemap_scan')
    return {
      ret: r.ret,
      regions: r.regions.map((g) => ({
        start: hex64(g.start),
        end: hex64(g.end),
        categories: [...g.categories],
      })),
      walk_end: r.walk_end === null ? null : hex64(r.walk_end),
      events: r.events.map(faultEventJson),
      changes: r.changes.map(changeJson),
    };
  if (r.kind === 'walk')
    return { ret: r.ret, events: r.events.map(eventJson), changes: r.changes.map(changeJson) };
  if (r.kind === 'page_fault_entry') {
    if ('signal' in r) return { signal: signalJson(r.signal) };
    const h = r.handle_mm_fault;
    return {
      handle_mm_fault: {
        vma: h.vma.name,
        address: hex64(h.address),
        flags: faultFlagNames(h.flags),
      },
    };
  }
  if (r.folio === null) return { folio: null, events: r.events.map(eventJson) };
  return {
    folio: hex64(r.folio),
    page: r.page === null || r.page === undefined ? null : hex64(r.page),
    level: r.level ?? null,
    value: r.value === undefined ? null : hex64(r.value),
    events: r.events.map(eventJson),
  };
}

export function jsonValue(v: OpValue): Json {
  if (typeof v === 'bigint') return hex64(v);
  if (v === null) return null;
  if (typeof v === 'object' && 'kind' in v)
    return v.kind === 'walk' ||
      v.kind === 'folio_walk' ||
      v.kind === 'page_fault_entry' ||
      v.kind === 'fault_loop' ||
      v.kind === 'mprotect' ||
      v.kind === 'dirty' ||
      v.kind === 'uffd' ||
      v.kind === 'zap' ||
      v.kind === 'pagemap' ||
      v.kind === 'pagemap_scan' ||
      v.kind === 'munmap'
      ? linuxJson(v)
      : accessJson(v);
  // An instruction's exception instead of completing (x86 MOV to CR3/CR4: #GP(0)).
  if (typeof v === 'object' && 'exception' in v) return reportJson(v);
  if (typeof v === 'object') {
    const fields: Record<string, Json> = {};
    for (const [name, f] of v.fields) {
      fields[name] =
        f.width <= 32
          ? Number(f.value)
          : '0x' + f.value.toString(16).padStart(Math.ceil(f.width / 4), '0');
    }
    return { format: v.format, fields };
  }
  return v;
}

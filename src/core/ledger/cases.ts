/**
 * Case blocks (docs/PROTOCOL.md §15 item 34, docs/NET.md §Roles): the DIAGNOSIS, SELF_REPORT and
 * WITHDRAWAL blocks of the tracing chain. They are few and small, and every node holds them —
 * a thin node too, which carries no other tracing block — so a patient's own browser sees its
 * diagnosis recorded and the transparency dashboard counts cases from the device's own ledger.
 * Every node, thin or full, accepts a case block without its tracing-chain parents (a thin node
 * cannot hold them, so no node checks or awaits them: docs/PROTOCOL.md §10.1), with every other
 * check (rules.ts) and the same standing (standing.ts).
 *
 * @example
 * if (isCaseBlock(b.chain, b.kind)) tally.add(b, id);
 * @module
 */
import { Kind } from '../codec/block.ts';
import { Chain } from '../types.ts';

/** The kinds of case blocks (all on the tracing chain). @example CASE_KINDS.has(Kind.DIAGNOSIS) === true */
export const CASE_KINDS: ReadonlySet<number> = new Set<number>([Kind.DIAGNOSIS, Kind.SELF_REPORT, Kind.WITHDRAWAL]);

/**
 * Is a block of this chain and kind a case block?
 * @example isCaseBlock(Chain.TRACING, Kind.WITHDRAWAL) === true; isCaseBlock(Chain.TRACING, Kind.TRACE_BATCH) === false
 */
export function isCaseBlock(chain: number, kind: number): boolean {
  return chain === Chain.TRACING && CASE_KINDS.has(kind);
}

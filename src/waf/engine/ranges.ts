/** An inclusive rule-id range, as `SecRuleRemoveById 1-999` and `ctl:ruleRemoveById` write it. */
export type IdRange = readonly [number, number];

/** Parses `942100`, `1-999999` or several of these separated by spaces or commas. */
export function parseIdRanges(text: string): IdRange[] {
  const out: IdRange[] = [];
  for (const part of text.split(/[\s,]+/)) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid rule id or range "${part}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`invalid rule id range "${part}"`);
    out.push([from, to]);
  }
  if (out.length === 0) throw new Error('no rule id given');
  return out;
}

export function inRanges(id: number, ranges: readonly IdRange[]): boolean {
  for (const [from, to] of ranges) if (id >= from && id <= to) return true;
  return false;
}

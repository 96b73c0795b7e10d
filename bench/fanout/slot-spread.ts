/**
 * Which master of a Redis Cluster serves each district: a district lives in the slot of its hash
 * tag (`{ns}`), and CLUSTER SLOTS says which master serves which slot range.
 */

/** One entry of CLUSTER SLOTS: first slot, last slot, the master [host, port, …], then its replicas. */
export type SlotRange = [number, number, [string, number, ...unknown[]], ...unknown[]]

export interface MasterShare { master: string; slots: number; districts: { name: string; slot: number }[] }

/**
 * Each master (host:port) with the number of slots it serves and the districts whose slot falls
 * in its ranges, masters in port order (a master with no district is listed too). A district
 * whose slot no range covers (a cluster not ok) goes under master "none".
 */
export function spreadOverMasters(slotOf: Map<string, number>, ranges: SlotRange[]): MasterShare[] {
  const shares = new Map<string, MasterShare>()
  const share = (master: string) => {
    let s = shares.get(master)
    if (!s) shares.set(master, s = { master, slots: 0, districts: [] })
    return s
  }
  for (const [from, to, [host, port]] of ranges) share(`${host}:${port}`).slots += to - from + 1
  for (const [name, slot] of slotOf) {
    const range = ranges.find(([from, to]) => slot >= from && slot <= to)
    share(range ? `${range[2][0]}:${range[2][1]}` : 'none').districts.push({ name, slot })
  }
  const port = (m: string) => Number(m.slice(m.lastIndexOf(':') + 1)) || Infinity
  return [...shares.values()].sort((a, b) => port(a.master) - port(b.master) || a.master.localeCompare(b.master))
}

/**
 * Writes that must survive a failover (Sentinel): the send claim, the relay transitions, the
 * delivery records. Redis replicates asynchronously, so a master that dies right after answering
 * may take the write with it, and the replica promoted in its place never saw it (a send claim
 * lost there means a post made twice, unmarked). With `replicas` set, each such write is followed
 * by `WAIT <replicas> <timeoutMs>` on the same connection: it is acknowledged to the caller once a
 * replica holds it. A replica that does not answer in time is counted (`shortfalls`) and the write
 * goes on unconfirmed (availability first; `min-replicas-to-write` on the master refuses writes
 * when no replica is attached at all — see docs/REDIS-HA.md).
 */
import type { Redis } from 'ioredis'

export interface ReplicaAck { replicas: number; timeoutMs: number }

/** A write that must not be acted on before a replica holds it was not confirmed in time. */
export class ReplicaAckError extends Error {}

export class Durability {
  /** WAITs issued and those that returned fewer replicas than asked. */
  waits = 0
  shortfalls = 0

  constructor(private readonly redis: Redis, readonly ack?: ReplicaAck, private readonly onShortfall?: (got: number, want: number) => void) {}

  /** The write's result, once a replica holds it too (when acknowledgments are asked for). */
  async after<T>(write: Promise<T>, strict = false): Promise<T> {
    const result = await write
    if (!this.ack) return result
    this.waits++
    const got = Number(await this.redis.call('WAIT', String(this.ack.replicas), String(this.ack.timeoutMs)))
    if (got < this.ack.replicas) {
      this.shortfalls++
      this.onShortfall?.(got, this.ack.replicas)
      // The send claim before say(): a post must not go out on a claim the next master may not have.
      if (strict) throw new ReplicaAckError(`${got} of ${this.ack.replicas} replica(s) confirmed the write within ${this.ack.timeoutMs} ms`)
    }
    return result
  }
}

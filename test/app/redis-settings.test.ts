/** Connection settings for every process, read in one place (src/infra/redis.ts). */
import { describe, expect, it } from 'vitest'
import { bullConnection, redisOptions, redisTarget, redisUrlFromEnv, replicaAckFor } from '../../src/infra/redis.ts'

describe('Redis connection settings', () => {
  it('REDIS_URL alone: one Redis', () => {
    expect(redisUrlFromEnv({ REDIS_URL: 'redis://:pw@10.0.0.5:6380/2' })).toBe('redis://:pw@10.0.0.5:6380/2')
    expect(redisUrlFromEnv({})).toBe('redis://127.0.0.1:6379')
    expect(redisTarget('redis://10.0.0.5:6380').kind).toBe('single')
  })

  it('sentinels and a master group, with REDIS_URL giving the password and db', () => {
    const url = redisUrlFromEnv({ REDIS_SENTINELS: 's1:26379, s2:26379,s3:26379', REDIS_MASTER: 'cascade', REDIS_URL: 'redis://:pw@ignored:6379/3' })
    expect(redisTarget(url)).toEqual({ kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }, { host: 's3', port: 26379 }], master: 'cascade', db: 3, username: undefined, password: 'pw' })
    expect(redisOptions(url)).toMatchObject({ sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }, { host: 's3', port: 26379 }], name: 'cascade', password: 'pw', db: 3, maxRetriesPerRequest: null })
    expect(replicaAckFor(url, {})).toEqual({ replicas: 1, timeoutMs: 1000 })
    // Every connection, BullMQ's too, leaves a master at the sentinels' election, not when it answers again.
    expect(redisOptions(url)).toMatchObject({ failoverDetector: true })
    expect(bullConnection(url)).toMatchObject({ name: 'cascade', failoverDetector: true, maxRetriesPerRequest: null })
    expect(redisOptions(url).commandTimeout).toBeUndefined()
    expect(redisOptions('redis://127.0.0.1:6379').failoverDetector).toBeUndefined()
    expect(bullConnection('redis://127.0.0.1:6379')).not.toHaveProperty('failoverDetector')
    expect(replicaAckFor(url, { REDIS_WAIT_REPLICAS: '0' })).toBeUndefined()
    expect(replicaAckFor('redis://127.0.0.1:6379', {})).toBeUndefined()
  })

  it('a cluster, chosen before sentinels', () => {
    const url = redisUrlFromEnv({ REDIS_CLUSTER: '127.0.0.1:7100,127.0.0.1:7101', REDIS_SENTINELS: 's1:26379' })
    expect(redisTarget(url)).toMatchObject({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 7100 }, { host: '127.0.0.1', port: 7101 }] })
    expect(replicaAckFor(url, {})).toBeUndefined()
  })

  it('refuses a malformed list or setting, naming the variable and the form', () => {
    expect(() => redisUrlFromEnv({ REDIS_CLUSTER: '127.0.0.1' })).toThrow('REDIS_CLUSTER: "127.0.0.1" is not host:port (expected host:port,host:port,…)')
    expect(() => redisUrlFromEnv({ REDIS_SENTINELS: 's1:99999' })).toThrow(/REDIS_SENTINELS: "s1:99999" is not host:port/)
    expect(() => redisUrlFromEnv({ REDIS_SENTINELS: ' , ' })).toThrow('REDIS_SENTINELS is empty')
    expect(() => redisUrlFromEnv({ REDIS_SENTINELS: 's1:26379', REDIS_MASTER: 'a b' })).toThrow(/REDIS_MASTER "a b"/)
    expect(() => replicaAckFor('redis-sentinel://s1:26379/cascade', { REDIS_WAIT_REPLICAS: 'one' })).toThrow(/REDIS_WAIT_REPLICAS "one"/)
  })
})

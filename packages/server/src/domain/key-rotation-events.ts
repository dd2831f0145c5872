/**
 * The security events of a signing-key rotation (`tessera keys rotate`, or the schedule): the new current
 * key, and the key it retired. Nothing is recorded when the call changed nothing (another instance won).
 */
import type { SecurityRecorder } from './security-record.ts'

/**
 * Records `key_rotated` and, when the current key changed, `key_retired` for the one it replaced.
 *
 * @example
 * const previousKid = ring.signingKey.kid
 * const rotated = await ring.rotate()
 * await recordKeyRotation(record, { previousKid, rotated, trigger: 'manual', forced: false })
 */
export async function recordKeyRotation(
  recorder: SecurityRecorder,
  rotation: {
    readonly previousKid: string
    readonly rotated: { readonly current: string; readonly next: string | undefined }
    readonly trigger: 'schedule' | 'manual'
    readonly forced: boolean
  },
): Promise<void> {
  const { previousKid, rotated, trigger, forced } = rotation
  if (rotated.current === previousKid) return
  const details = { kid: rotated.current, next_kid: rotated.next ?? null, trigger, forced }
  await recorder.record({ type: 'key_rotated', details })
  await recorder.record({ type: 'key_retired', details: { kid: previousKid } })
}

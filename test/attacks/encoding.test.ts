import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type AttackRig, startAttackRig } from './support/attack-rig.ts'
import { assertRefusedQuietly, type RefusalExpectation } from './support/nothing-changed.ts'
import { accessTokenHeader, b64u, forgeJws, signerOf, signSegments } from './support/token-forge.ts'

/**
 * RFC 7515 §2 / RFC 8725 §3.9–3.11 / SPEC §5: one byte string has exactly one accepted text. Every token
 * below is signed by the issuer's real key over the exact text presented, so the signature would pass:
 * only the strict parser (canonical base64url, fatal UTF-8, no duplicate members, bounded depth and size)
 * can be what refuses it.
 */
describe('attacks on the encoding', () => {
  let rig: AttackRig
  before(async () => {
    rig = await startAttackRig()
  })
  after(() => rig.close())

  const headerText = (): string => JSON.stringify(accessTokenHeader(rig.serverKey))
  const claimsText = (overrides: Record<string, unknown> = {}): string =>
    JSON.stringify(rig.claims(overrides))
  const signed = (header: string, payload: string): string =>
    signSegments(header, payload, signerOf(rig.serverKey))
  const signedBytes = (header: string | Uint8Array, payload: string | Uint8Array): string =>
    forgeJws(header, payload, signerOf(rig.serverKey))

  interface Case {
    readonly name: string
    readonly token: () => string
    readonly expected: RefusalExpectation
  }
  const run = (cases: readonly Case[]): void => {
    for (const { name, token, expected } of cases) {
      test(`${name}: ${expected.reason}`, () => assertRefusedQuietly(rig, token(), expected))
    }
  }

  describe('non-canonical base64url', () => {
    run([
      {
        name: 'padding "=" on the header segment',
        token: () => signed(`${b64u(headerText())}=`, b64u(claimsText())),
        expected: { reason: 'malformed', http: 'invalid_request' },
      },
      {
        name: 'padding "=" on the payload segment',
        token: () => signed(b64u(headerText()), padded(b64u(claimsText({ pad: 'x' })))),
        expected: { reason: 'malformed', http: 'invalid_request' },
      },
      {
        name: 'padding "==" on the signature segment',
        token: () => `${rig.sign(rig.claims())}==`,
        expected: { reason: 'malformed' },
      },
      {
        name: 'the standard alphabet ("+" and "/") throughout',
        token: () => {
          let token = ''
          for (let attempt = 0; !/[-_]/.test(token); attempt++) token = rig.sign(rig.claims({ attempt }))
          const [header, payload, signature] = token.split('.') as [string, string, string]
          const standard = (text: string): string => text.replaceAll('-', '+').replaceAll('_', '/')
          return `${signed(standard(header), standard(payload)).split('.').slice(0, 2).join('.')}.${standard(signature)}`
        },
        expected: { reason: 'malformed' },
      },
      {
        name: 'non-zero unused bits in the last character of the signature',
        token: () => withDirtyLastCharacter(rig.sign(rig.claims())),
        expected: { reason: 'malformed' },
      },
      {
        name: 'non-zero unused bits in the last character of the payload',
        token: () => {
          const payload = segmentWithUnusedBits((pad) => claimsText({ pad }))
          return signed(b64u(headerText()), withDirtyLastCharacter(payload))
        },
        expected: { reason: 'malformed' },
      },
      {
        name: 'non-zero unused bits in the last character of the header',
        token: () => {
          const header = segmentWithUnusedBits(
            (pad) => `{"alg":"EdDSA","typ":"at+jwt","kid":"${rig.serverKey.kid}"${pad.replaceAll('x', ' ')}}`,
          )
          return signed(withDirtyLastCharacter(header), b64u(claimsText()))
        },
        expected: { reason: 'malformed' },
      },
      {
        name: 'a payload segment of length 1 mod 4 (no byte string encodes to it)',
        token: () => {
          const payload = segmentOfLengthMultipleOf4((pad) => claimsText({ pad }))
          return signed(b64u(headerText()), `${payload}A`)
        },
        expected: { reason: 'malformed' },
      },
    ])
  })

  describe('whitespace in and around segments', () => {
    run([
      {
        name: 'a leading space',
        token: () => ` ${rig.sign(rig.claims())}`,
        expected: { reason: 'malformed', http: 'invalid_request' },
      },
      {
        name: 'a trailing newline',
        token: () => `${rig.sign(rig.claims())}\n`,
        expected: { reason: 'malformed', http: null },
      },
      {
        name: 'a leading tab',
        token: () => `\t${rig.sign(rig.claims())}`,
        expected: { reason: 'malformed', http: 'invalid_request' },
      },
      {
        name: 'a space inside the header segment (signed as written)',
        token: () => {
          const header = b64u(headerText())
          return signed(`${header.slice(0, 8)} ${header.slice(8)}`, b64u(claimsText()))
        },
        expected: { reason: 'malformed', http: 'invalid_request' },
      },
      {
        name: 'a newline inside the payload segment (signed as written)',
        token: () => {
          const payload = b64u(claimsText())
          return signed(b64u(headerText()), `${payload.slice(0, 64)}\n${payload.slice(64)}`)
        },
        expected: { reason: 'malformed', http: null },
      },
      {
        name: 'CRLF between segments',
        token: () => rig.sign(rig.claims()).replace('.', '.\r\n'),
        expected: { reason: 'malformed', http: null },
      },
    ])
  })

  describe('JSON that is not strict UTF-8 JSON', () => {
    const bytes = (...parts: (string | number[])[]): Buffer =>
      Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))))
    run([
      {
        name: 'invalid UTF-8 (0xff) inside the header',
        token: () => signedBytes(bytes('{"alg":"EdDSA","typ":"at+jwt","kid":"', [0xff], '"}'), claimsText()),
        expected: { reason: 'malformed' },
      },
      {
        name: 'an overlong UTF-8 form (0xc0 0xaf) inside a claim',
        token: () =>
          signedBytes(headerText(), bytes(claimsText().slice(0, -1), ',"x":"', [0xc0, 0xaf], '"}')),
        expected: { reason: 'malformed' },
      },
      {
        name: 'a UTF-8-encoded surrogate (0xed 0xa0 0x80) in the payload',
        token: () =>
          signedBytes(headerText(), bytes(claimsText().slice(0, -1), ',"x":"', [0xed, 0xa0, 0x80], '"}')),
        expected: { reason: 'malformed' },
      },
      {
        name: 'an escaped unpaired surrogate ("\\ud800") in sub (I-JSON, RFC 7493 §2.1)',
        token: () => signedBytes(headerText(), claimsText({ sub: 'usr_\ud800' })),
        expected: { reason: 'malformed' },
      },
      {
        name: 'duplicate alg in the header ("none", then "EdDSA")',
        token: () =>
          signedBytes(
            `{"alg":"none","alg":"EdDSA","typ":"at+jwt","kid":"${rig.serverKey.kid}"}`,
            claimsText(),
          ),
        expected: { reason: 'malformed' },
      },
      {
        name: 'duplicate kid in the header',
        token: () =>
          signedBytes(`{"alg":"EdDSA","typ":"at+jwt","kid":"x","kid":"${rig.serverKey.kid}"}`, claimsText()),
        expected: { reason: 'malformed' },
      },
      {
        name: 'duplicate exp in the payload (an expired one, then a live one)',
        token: () => {
          const now = rig.clock.nowSeconds()
          return signedBytes(headerText(), `{"exp":${now - 3600},${claimsText().slice(1)}`)
        },
        expected: { reason: 'malformed' },
      },
      {
        name: 'duplicate sub in the payload',
        token: () => signedBytes(headerText(), `{"sub":"usr_admin",${claimsText().slice(1)}`),
        expected: { reason: 'malformed' },
      },
      {
        name: 'duplicate exp spelled once with an escape ("\\u0065xp")',
        token: () =>
          signedBytes(
            headerText(),
            `{"\\u0065xp":${rig.clock.nowSeconds() + 99_999},${claimsText().slice(1)}`,
          ),
        expected: { reason: 'malformed' },
      },
      {
        name: 'a byte-order mark before the header JSON',
        token: () => signedBytes(`\ufeff${headerText()}`, claimsText()),
        expected: { reason: 'malformed' },
      },
      {
        name: 'a byte-order mark before the payload JSON',
        token: () => signedBytes(headerText(), `\ufeff${claimsText()}`),
        expected: { reason: 'malformed' },
      },
      {
        name: 'a byte-order mark before the token text',
        token: () => `\ufeff${rig.sign(rig.claims())}`,
        expected: { reason: 'malformed', http: null },
      },
      {
        name: 'a NUL byte after the header JSON',
        token: () => signedBytes(`${headerText()}\u0000`, claimsText()),
        expected: { reason: 'malformed' },
      },
      {
        name: 'a raw NUL inside a payload string',
        token: () => signedBytes(headerText(), bytes(claimsText().slice(0, -1), ',"x":"a', [0], 'b"}')),
        expected: { reason: 'malformed' },
      },
      {
        name: 'a NUL character in the token text',
        token: () => rig.sign(rig.claims()).replace('.', '.\u0000'),
        expected: { reason: 'malformed', http: null },
      },
    ])
  })
})

function padded(segment: string): string {
  return segment.length % 4 === 0 ? `${segment}====` : `${segment}${'='.repeat(4 - (segment.length % 4))}`
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

// Sets the lowest unused bit of the last character of the last segment that has unused bits (RFC 4648 §3.5).
function withDirtyLastCharacter(text: string): string {
  const last = text.at(-1) as string
  const segment = text.split('.').at(-1) as string
  assert.ok(segment.length % 4 === 2 || segment.length % 4 === 3, 'the segment has no unused bits')
  const dirty = alphabet[alphabet.indexOf(last) | 1] as string
  assert.notEqual(dirty, last)
  return `${text.slice(0, -1)}${dirty}`
}

// base64url of the first JSON (varying the filler) whose encoding leaves unused bits in its last character.
function segmentWithUnusedBits(json: (filler: string) => string): string {
  for (let length = 0; ; length++) {
    const segment = b64u(json('x'.repeat(length)))
    const last = alphabet.indexOf(segment.at(-1) as string)
    if (segment.length % 4 !== 0 && (last | 1) !== last) return segment
  }
}

function segmentOfLengthMultipleOf4(json: (filler: string) => string): string {
  for (let length = 0; ; length++) {
    const segment = b64u(json('x'.repeat(length)))
    if (segment.length % 4 === 0) return segment
  }
}

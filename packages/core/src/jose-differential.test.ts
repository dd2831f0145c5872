import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { importJWK, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { type AccessTokenVerifyOptions, verifyAccessToken } from './access-token.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'
import { signAccessToken } from './access-token-sign.ts'
import { createManualClock } from './clock.ts'
import { TesseraError } from './errors.ts'
import { exportPublicJwk } from './jwk-export.ts'
import { generateSigningKey, toVerificationKey } from './keys.ts'
import type { ReasonCode } from './reason-codes.ts'
import { replaceSegment, signRawJws } from './test-support/sign-raw-jws.ts'

// jose is the differential oracle: both libraries must agree on honest tokens, and core must refuse the
// lenient inputs jose lets through (docs/architecture.md, "Core: why hand-written on node:crypto").

const now = 1_700_000_000
const issuer = 'https://auth.example'
const claims: AccessTokenClaims = {
  iss: issuer,
  sub: 'usr_1',
  aud: [issuer, 'orders-api'],
  exp: now + 900,
  iat: now,
  jti: 'jti-1',
  client_id: 'web',
  scope: 'orders:read',
}

for (const alg of ['EdDSA', 'ES256'] as const) {
  const signingKey = generateSigningKey(alg, `${alg}-key`)
  const verificationKey = toVerificationKey(signingKey)
  const coreOptions: AccessTokenVerifyOptions = {
    keys: (header) => (header.kid === signingKey.kid ? verificationKey : undefined),
    issuer,
    audience: 'orders-api',
    maxLifetimeSeconds: 900,
    clock: createManualClock(now + 1),
  }
  const verifyWithJose = async (token: string): Promise<JWTPayload> => {
    const key = await importJWK({ ...exportPublicJwk(signingKey) }, alg)
    const { payload } = await jwtVerify(token, key, {
      issuer,
      audience: 'orders-api',
      typ: 'at+jwt',
      algorithms: [alg],
      currentDate: new Date((now + 1) * 1000),
    })
    return payload
  }
  const coreReason = (token: string): ReasonCode | 'accepted' => {
    try {
      verifyAccessToken(token, coreOptions)
      return 'accepted'
    } catch (error) {
      if (error instanceof TesseraError) return error.code
      throw error
    }
  }
  const header = `{"alg":"${alg}","typ":"at+jwt","kid":"${signingKey.kid}"}`
  const honest = signAccessToken(claims, signingKey)

  describe(`jose differential (${alg})`, () => {
    test('a token signed by jose verifies with core', async () => {
      const token = await new SignJWT(JSON.parse(JSON.stringify(claims)) as JWTPayload)
        .setProtectedHeader({ alg, typ: 'at+jwt', kid: signingKey.kid })
        .sign(signingKey.key)
      assert.deepEqual({ ...verifyAccessToken(token, coreOptions) }, claims)
    })

    test('a token signed by core verifies with jose, through core’s exported JWK', async () => {
      assert.deepEqual(await verifyWithJose(honest), claims)
    })

    test('inputs jose accepts are refused by core, each for its stated reason', async () => {
      const [, , signature] = honest.split('.') as [string, string, string]
      const lastSextet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      const last = lastSextet.indexOf(signature.at(-1) ?? 'A')
      const nonCanonical = `${signature.slice(0, -1)}${lastSextet[last + 1]}`
      const lenient: Record<string, { readonly token: string; readonly reason: ReasonCode }> = {
        'whitespace inside a segment': {
          token: replaceSegment(honest, 2, `${signature.slice(0, 20)} ${signature.slice(20)}`),
          reason: 'malformed',
        },
        'newline inside a segment': {
          token: replaceSegment(honest, 2, `${signature.slice(0, 20)}\n${signature.slice(20)}`),
          reason: 'malformed',
        },
        'non-canonical base64url (unused bits set)': {
          token: replaceSegment(honest, 2, nonCanonical),
          reason: 'malformed',
        },
        'padding on a segment': { token: replaceSegment(honest, 2, `${signature}==`), reason: 'malformed' },
        'duplicate exp (jose keeps the last, a far-future one)': {
          token: signRawJws(header, JSON.stringify(claims).replace('{', `{"exp":${now - 3600},`), signingKey),
          reason: 'malformed',
        },
        'exp 1e400': {
          token: signRawJws(
            header,
            JSON.stringify(claims).replace(`"exp":${now + 900}`, '"exp":1e400'),
            signingKey,
          ),
          reason: 'malformed',
        },
        'missing exp': {
          token: signRawJws(header, JSON.stringify({ ...claims, exp: undefined }), signingKey),
          reason: 'malformed',
        },
        'extra header member jku': {
          token: signRawJws(
            header.replace('}', ',"jku":"https://evil.example/jwks.json"}'),
            JSON.stringify(claims),
            signingKey,
          ),
          reason: 'malformed',
        },
        'extra header member x5u': {
          token: signRawJws(
            header.replace('}', ',"x5u":"https://evil.example/cert.pem"}'),
            JSON.stringify(claims),
            signingKey,
          ),
          reason: 'malformed',
        },
        'typ application/at+jwt': {
          token: signRawJws(
            header.replace('"at+jwt"', '"application/at+jwt"'),
            JSON.stringify(claims),
            signingKey,
          ),
          reason: 'wrong_type',
        },
      }
      for (const [name, { token, reason }] of Object.entries(lenient)) {
        await assert.doesNotReject(verifyWithJose(token), `jose should accept: ${name}`)
        assert.equal(coreReason(token), reason, name)
      }
    })
  })
}

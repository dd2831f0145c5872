/**
 * Shared fixtures of the store conformance suite: a fresh store per test, and builders for users,
 * sessions, rotation inputs and keys. Instants are fixed epoch seconds, never the wall clock.
 */
import { createHash } from 'node:crypto'
import type {
  NewUser,
  RotateInput,
  SessionRecord,
  SigningKeyRecord,
  SigningKeyState,
  Store,
} from '../ports.ts'

/** Opens a fresh, empty store. */
export type OpenStore = () => Promise<Store>

/** The suite's "now": every instant is an offset from it. */
export const T0 = 1_700_000_000

export const IDLE_SECONDS = 14 * 24 * 3600
export const SESSION_SECONDS = 90 * 24 * 3600
export const GRACE_SECONDS = 10
export const CLIENT_ID = 'web'

/**
 * Runs `work` against a freshly opened store and closes it afterwards, whatever happens.
 *
 * @example
 * test('finds nothing', () => withStore(open, async (store) => assert.equal(await store.users.findById('x'), undefined)))
 */
export async function withStore(open: OpenStore, work: (store: Store) => Promise<void>): Promise<void> {
  const store = await open()
  try {
    await work(store)
  } finally {
    await store.close()
  }
}

/**
 * A new user with a distinct id and address derived from `name`.
 *
 * @example
 * await store.users.create(newUser('ada'))
 */
export function newUser(name: string, overrides: Partial<NewUser> = {}): NewUser {
  return {
    id: `user-${name}`,
    email: `${name}@example.test`,
    name: `User ${name}`,
    passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$${name}`,
    createdAt: T0,
    ...overrides,
  }
}

/** The lower-case hex SHA-256 of a token text, as the domain stores it; here the text is a label. */
export function tokenHash(label: string): string {
  return createHash('sha256').update(label).digest('hex')
}

/**
 * Creates `user-<owner>` if needed and starts session `id` with first token `<id>-t0` (hash
 * `tokenHash('<id>-t0')`). Every field can be overridden.
 *
 * @example
 * const session = await startSession(store, 's1', { owner: 'ada' })
 */
export async function startSession(
  store: Store,
  id: string,
  options: {
    readonly owner?: string
    readonly clientId?: string
    readonly createdAt?: number
    readonly expiresAt?: number
    readonly tokenExpiresAt?: number
    readonly dpopJkt?: string
  } = {},
): Promise<SessionRecord> {
  const owner = options.owner ?? 'owner'
  if ((await store.users.findById(`user-${owner}`)) === undefined) await store.users.create(newUser(owner))
  const createdAt = options.createdAt ?? T0
  return await store.sessions.start(
    {
      id,
      userId: `user-${owner}`,
      clientId: options.clientId ?? CLIENT_ID,
      createdAt,
      expiresAt: options.expiresAt ?? createdAt + SESSION_SECONDS,
      ip: '192.0.2.1',
      userAgent: 'conformance/1.0',
      ...(options.dpopJkt === undefined ? {} : { dpopJkt: options.dpopJkt }),
    },
    {
      id: `${id}-t0`,
      tokenHash: tokenHash(`${id}-t0`),
      expiresAt: options.tokenExpiresAt ?? createdAt + IDLE_SECONDS,
    },
  )
}

/**
 * A rotation of the token labelled `presented` into the token labelled `successor`.
 *
 * @example
 * await store.sessions.rotateRefreshToken(rotation('s1-t0', 's1-t1', { now: T0 + 60 }))
 */
export function rotation(
  presented: string,
  successor: string,
  overrides: { readonly [K in keyof RotateInput]?: RotateInput[K] } = {},
): RotateInput {
  return {
    tokenHash: tokenHash(presented),
    successor: { id: successor, tokenHash: tokenHash(successor) },
    now: T0 + 60,
    idleSeconds: IDLE_SECONDS,
    graceSeconds: GRACE_SECONDS,
    clientId: CLIENT_ID,
    dpopJkt: null,
    ip: '198.51.100.7',
    userAgent: 'conformance/2.0',
    ...overrides,
  }
}

/**
 * A signing-key record in `state`, created at `T0 + createdOffset`.
 *
 * @example
 * await store.signingKeys.insert(signingKey('k1', 'current'))
 */
export function signingKey(
  kid: string,
  state: SigningKeyState,
  overrides: Partial<SigningKeyRecord> = {},
): SigningKeyRecord {
  return {
    kid,
    alg: 'EdDSA',
    state,
    publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: kid, kid }),
    privateKeyCiphertext: `ciphertext-of-${kid}`,
    createdAt: T0,
    activatedAt: state === 'current' ? T0 : null,
    retiredAt: null,
    publishUntil: null,
    ...overrides,
  }
}

import { Type } from '@sinclair/typebox'

/** Shapes shared by several routes, also published in /openapi.json. */
export const PublicUserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
})

export const TokenResponseSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')]),
  expires_in: Type.Integer(),
  refresh_token: Type.Optional(
    Type.String({ description: 'Native (body) mode only; in browser mode it is an HttpOnly cookie.' }),
  ),
  session_id: Type.String(),
  user: PublicUserSchema,
})

export const SessionViewSchema = Type.Object({
  id: Type.String(),
  created_at: Type.Integer(),
  last_used_at: Type.Integer(),
  expires_at: Type.Integer(),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
})

export const ProblemSchema = Type.Object({
  error: Type.String(),
  reason: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
})

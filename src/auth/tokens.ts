import jwt from 'jsonwebtoken';
import type { JwtConfig } from '../config/config.js';

export interface TokenClaims {
  sub: string;
  name?: string;
  email?: string;
  username?: string;
}

/** Signs an HS256 token with the configured secret (what `npm run token` and the dev banner print). */
export function signToken(config: JwtConfig, claims: TokenClaims, expiresIn: string | number = '12h'): string {
  if (!config.secret) {
    throw new Error('JWT_SECRET is not set: tokens for JWT_PUBLIC_KEY must come from your identity provider.');
  }
  const options: jwt.SignOptions = { algorithm: 'HS256', expiresIn: expiresIn as jwt.SignOptions['expiresIn'] };
  // jsonwebtoken refuses keys that are present but undefined.
  if (config.issuer) options.issuer = config.issuer;
  if (config.audience) options.audience = config.audience;
  return jwt.sign({ ...claims }, config.secret, options);
}

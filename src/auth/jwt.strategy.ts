import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import jwt from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { AuthUser } from './user.js';

const ASYMMETRIC = ['RS256', 'ES256'] as const;

function claim(payload: Record<string, unknown>, ...names: string[]): string | null {
  for (const name of names) {
    const value = payload[name];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return null;
}

/**
 * Verifies bearer tokens: HS256 with JWT_SECRET, RS256/ES256 with JWT_PUBLIC_KEY, issuer and
 * audience when configured. `alg: none` and any other algorithm are refused.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { secret, publicKey, issuer, audience } = config.jwt;
    const algorithms: jwt.Algorithm[] = [...(secret ? ['HS256' as const] : []), ...(publicKey ? ASYMMETRIC : [])];
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      algorithms,
      issuer: issuer ?? undefined,
      audience: audience ?? undefined,
      secretOrKeyProvider: (_req: unknown, token: string, done: (err: Error | null, key?: string) => void) => {
        const header = jwt.decode(token, { complete: true })?.header;
        if (!header) return done(new jwt.JsonWebTokenError('jwt malformed'));
        const key = header?.alg === 'HS256' ? secret : publicKey;
        if (!key) return done(new jwt.JsonWebTokenError('token algorithm not accepted'));
        done(null, key);
      },
    });
  }

  validate(payload: Record<string, unknown>): AuthUser | false {
    const sub = claim(payload, 'sub');
    if (sub === null || sub.length > 255) return false;
    return {
      sub,
      name: claim(payload, 'name'),
      email: claim(payload, 'email'),
      username: claim(payload, 'username', 'preferred_username'),
    };
  }
}

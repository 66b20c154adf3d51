import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import jwt from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { BEARER } from './bearer.js';
import type { AuthUser } from './user.js';

const ASYMMETRIC = ['RS256', 'ES256'] as const;

/** How far ahead of this clock a token's iat may be (clock skew between issuer and service). */
const IAT_SKEW_SECONDS = 60;

/** `sub` may not hold control characters, format characters (zero-width, bidi) or NUL. */
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;

function claim(payload: Record<string, unknown>, ...names: string[]): string | null {
  for (const name of names) {
    const value = payload[name];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return null;
}

/** Whether `sub` names one user unambiguously: 1–255 characters of well-formed Unicode, none invisible. */
export function isValidSubject(sub: unknown): sub is string {
  if (typeof sub !== 'string' || sub.length === 0 || !sub.isWellFormed() || INVISIBLE.test(sub)) return false;
  // Characters, not UTF-16 units: an astral character counts once, as PostgreSQL counts it.
  return sub.length <= 255 || Array.from(sub).length <= 255;
}

/**
 * Verifies bearer tokens with passport-jwt: HS256 with JWT_SECRET, RS256/ES256 with
 * JWT_PUBLIC_KEY, issuer and audience when configured. `alg: none` and any other algorithm are
 * refused. The keys are KeyObjects built once here: jsonwebtoken given a string secret tries
 * `createPublicKey()` on it at every verification before it builds a secret key.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly maxAgeSeconds: number | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { secret, publicKey, issuer, audience, maxAgeSeconds } = config.jwt;
    const secretKey: KeyObject | null = secret ? createSecretKey(Buffer.from(secret)) : null;
    const publicKeyObject: KeyObject | null = publicKey ? createPublicKey(publicKey) : null;
    const algorithms: jwt.Algorithm[] = [
      ...(secretKey ? ['HS256' as const] : []),
      ...(publicKeyObject ? ASYMMETRIC : []),
    ];
    // jsonwebtoken decodes the header once and asks for the key of its algorithm.
    const keyFor: jwt.GetPublicKeyOrSecret = (header, done) => {
      // RFC 7515 §4.1.11: extensions listed in crit must be understood; this service knows none.
      if ('crit' in header) {
        return done(
          new jwt.JsonWebTokenError('its header lists critical extensions (crit) this service does not know'),
        );
      }
      const key = header.alg === 'HS256' ? secretKey : publicKeyObject;
      if (!key) return done(new jwt.JsonWebTokenError('token algorithm not accepted'));
      done(null, key);
    };
    super({
      jwtFromRequest: (request: { headers: Record<string, string | string[] | undefined> }) => {
        const header = request.headers.authorization;
        return typeof header === 'string' ? (BEARER.exec(header)?.[1] ?? null) : null;
      },
      secretOrKey: keyFor as unknown as string,
      ignoreExpiration: false,
      algorithms,
      issuer: issuer ?? undefined,
      audience: audience ?? undefined,
      jsonWebTokenOptions: maxAgeSeconds === null ? {} : { maxAge: maxAgeSeconds },
    });
    this.maxAgeSeconds = maxAgeSeconds;
  }

  validate(payload: Record<string, unknown>): AuthUser {
    if (typeof payload.exp !== 'number')
      throw new UnauthorizedException('Invalid bearer token: it has no expiry (exp)');
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + IAT_SKEW_SECONDS) {
      throw new UnauthorizedException('Invalid bearer token: it was issued in the future (iat)');
    }
    if (payload.sub === undefined) throw new UnauthorizedException('Invalid bearer token: it has no subject (sub)');
    if (!isValidSubject(payload.sub)) {
      throw new UnauthorizedException(
        'Invalid bearer token: sub must be 1-255 characters of well-formed Unicode without control or invisible characters',
      );
    }
    return {
      sub: payload.sub,
      name: claim(payload, 'name'),
      email: claim(payload, 'email'),
      username: claim(payload, 'username', 'preferred_username'),
      // A cached token is used until the earlier of its exp and, with JWT_MAX_AGE, iat + that age.
      expiresAt:
        this.maxAgeSeconds !== null && typeof payload.iat === 'number'
          ? Math.min(payload.exp, payload.iat + this.maxAgeSeconds)
          : payload.exp,
    };
  }
}

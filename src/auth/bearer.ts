/** `Authorization: Bearer <token>`, nothing before or after it (RFC 6750's scheme is case-insensitive). */
export const BEARER = /^Bearer +([^\s]+)$/i;

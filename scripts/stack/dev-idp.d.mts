import type { DevIdp, DevUser } from './stack.d.mts';
export declare const DEV_CLIENT_ID: string;
export declare const DEV_CLIENT_SECRET: string;
export declare const DEFAULT_DEV_USER: Readonly<Required<Pick<DevUser, 'email' | 'email_verified' | 'name'>>>;
export declare function devSubject(email: string): string;
export declare function startDevIdp(options?: { port?: number; user?: DevUser }): Promise<DevIdp>;

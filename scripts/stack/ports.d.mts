export declare const LOCALHOST: string;
export declare class PortInUseError extends Error {
  readonly code: 'EADDRINUSE';
  readonly port: number;
  /** what wanted the port */
  readonly role: string;
  constructor(port: number, role: string);
}
export declare function freePort(): Promise<number>;
export declare function assertPortFree(port: number, role: string): Promise<void>;
export declare function allocatePorts<K extends string>(wanted: Record<K, { port?: number; role: string }>): Promise<Record<K, number>>;

export declare const BENCHMARKS_DOC: string;
export declare function writeBenchmarkSection(name: string, section: string, intro?: string): Promise<void>;

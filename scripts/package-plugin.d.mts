export declare const MODULE_NAME: string;
export declare function layOutLocalPlugin(workDir?: string): Promise<string>;
export declare function writeCatalogZip(out?: string): Promise<string>;

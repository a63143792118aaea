// The import signatures Traefik's host modules provide (http-wasm-host-go v0.7 handler/middleware.go
// and wazero v1.8 imports/wasi_snapshot_preview1). wazero refuses to link a guest whose import is
// missing from these modules or declared with another signature.
import type { FuncType, ValType } from './wasmModuleInfo.js';

function sig(params: string, results = 'i32'): FuncType {
  const list = (s: string): ValType[] => (s ? (s.split(',') as ValType[]) : []);
  return { params: list(params), results: list(results) };
}

export const HTTP_HANDLER_MODULE = 'http_handler';
export const WASI_MODULE = 'wasi_snapshot_preview1';

export const HTTP_HANDLER_SIGNATURES: Record<string, FuncType> = {
  enable_features: sig('i32'),
  get_config: sig('i32,i32'),
  log_enabled: sig('i32'),
  log: sig('i32,i32,i32', ''),
  get_method: sig('i32,i32'),
  set_method: sig('i32,i32', ''),
  get_uri: sig('i32,i32'),
  set_uri: sig('i32,i32', ''),
  get_protocol_version: sig('i32,i32'),
  get_source_addr: sig('i32,i32'),
  get_header_names: sig('i32,i32,i32', 'i64'),
  get_header_values: sig('i32,i32,i32,i32,i32', 'i64'),
  set_header_value: sig('i32,i32,i32,i32,i32', ''),
  add_header_value: sig('i32,i32,i32,i32,i32', ''),
  remove_header: sig('i32,i32,i32', ''),
  read_body: sig('i32,i32,i32', 'i64'),
  write_body: sig('i32,i32,i32', ''),
  get_status_code: sig(''),
  set_status_code: sig('i32', ''),
};

export const WASI_SIGNATURES: Record<string, FuncType> = {
  args_get: sig('i32,i32'),
  args_sizes_get: sig('i32,i32'),
  environ_get: sig('i32,i32'),
  environ_sizes_get: sig('i32,i32'),
  clock_res_get: sig('i32,i32'),
  clock_time_get: sig('i32,i64,i32'),
  fd_advise: sig('i32,i64,i64,i32'),
  fd_allocate: sig('i32,i64,i64'),
  fd_close: sig('i32'),
  fd_datasync: sig('i32'),
  fd_fdstat_get: sig('i32,i32'),
  fd_fdstat_set_flags: sig('i32,i32'),
  fd_fdstat_set_rights: sig('i32,i64,i64'),
  fd_filestat_get: sig('i32,i32'),
  fd_filestat_set_size: sig('i32,i64'),
  fd_filestat_set_times: sig('i32,i64,i64,i32'),
  fd_pread: sig('i32,i32,i32,i64,i32'),
  fd_prestat_get: sig('i32,i32'),
  fd_prestat_dir_name: sig('i32,i32,i32'),
  fd_pwrite: sig('i32,i32,i32,i64,i32'),
  fd_read: sig('i32,i32,i32,i32'),
  fd_readdir: sig('i32,i32,i32,i64,i32'),
  fd_renumber: sig('i32,i32'),
  fd_seek: sig('i32,i64,i32,i32'),
  fd_sync: sig('i32'),
  fd_tell: sig('i32,i32'),
  fd_write: sig('i32,i32,i32,i32'),
  path_create_directory: sig('i32,i32,i32'),
  path_filestat_get: sig('i32,i32,i32,i32,i32'),
  path_filestat_set_times: sig('i32,i32,i32,i32,i64,i64,i32'),
  path_link: sig('i32,i32,i32,i32,i32,i32,i32'),
  path_open: sig('i32,i32,i32,i32,i32,i64,i64,i32,i32'),
  path_readlink: sig('i32,i32,i32,i32,i32,i32'),
  path_remove_directory: sig('i32,i32,i32'),
  path_rename: sig('i32,i32,i32,i32,i32,i32'),
  path_symlink: sig('i32,i32,i32,i32,i32'),
  path_unlink_file: sig('i32,i32,i32'),
  poll_oneoff: sig('i32,i32,i32,i32'),
  proc_exit: sig('i32', ''),
  proc_raise: sig('i32'),
  sched_yield: sig(''),
  random_get: sig('i32,i32'),
  sock_accept: sig('i32,i32,i32'),
  sock_recv: sig('i32,i32,i32,i32,i32,i32'),
  sock_send: sig('i32,i32,i32,i32,i32'),
  sock_shutdown: sig('i32,i32'),
};

/** Guest exports http-wasm-host-go checks before accepting a module. */
export const REQUIRED_EXPORTS: Record<string, FuncType> = {
  handle_request: sig('', 'i64'),
  handle_response: sig('i32,i32', ''),
};

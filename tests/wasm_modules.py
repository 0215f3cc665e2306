"""Small WebAssembly modules (WAT) that misbehave in one way each, for the wasm tests."""

from __future__ import annotations


def fast(handle: str, *, extra: str = "") -> str:
    """A fast ABI module whose handle($ptr, $len) -> i64 runs `handle`; events land at 1024."""
    return f"""(module {extra}
      (memory (export "memory") 1)
      (func (export "alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "handle") (param $ptr i32) (param $len i32) (result i64) {handle}))"""


def fast_answer(text: str) -> str:
    """A fast ABI module that returns `text` whatever the event."""
    data = text.replace("\\", "\\\\").replace('"', '\\"')
    return fast(f"(i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const {len(text.encode())}))", extra=f'(data (i32.const 16) "{data}")')


def wasi(start: str, *, extra: str = "") -> str:
    """A WASI command whose _start runs `start`; $write(ptr, len) writes to stdout (one iovec at 0)."""
    return f"""(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32))) {extra}
      (memory (export "memory") 1)
      (func $write (param $ptr i32) (param $len i32)
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
      (func (export "_start") {start}))"""


SPIN = "(loop (br 0)) (i64.const 0)"
# Counts to 50 million (tens of ms, far past the inline budget, far from any timeout) before its work.
COUNT = "(local $i i32) (loop (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if 0 (i32.lt_u (local.get $i) (i32.const 50000000))))"
TRAP = "unreachable"
# Grows until the store's memory limit says no (-1), then gives up as a C program would abort.
GROW_BOMB = "(loop (br_if 0 (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable"
GARBAGE = fast_answer("this is not JSON {")
HUGE_LENGTH = fast("(i64.const 0x700000)")  # claims a 7 MB result at address 0: over the 6 MB limit
BAD_ALLOC = """(module (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0xfff0))
  (func (export "handle") (param i32 i32) (result i64) (i64.const 0)))"""
FOREIGN_IMPORT = fast("(i64.const 0)", extra='(import "env" "fetch" (func (param i32)))')
NO_ABI = '(module (memory (export "memory") 1) (func (export "main")))'

WASI_SPIN = wasi("(loop (br 0))")
WASI_EXIT_3 = wasi("(call $exit (i32.const 3))")
# stdin copied to stdout 100 bytes at a time, until a read returns 0: the event comes back whole.
WASI_ECHO = wasi("""(block $eof (loop $copy
  (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 100))
  (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
  (br_if $eof (i32.eqz (i32.load (i32.const 24))))
  (call $write (i32.const 1024) (i32.load (i32.const 24)))
  (br $copy)))""")
# Exit with the errno the host answered: EBADF (8) for an fd that is not open, EFAULT (21) for an
# iovec array or a buffer outside linear memory.
WASI_READ_FD_7 = wasi("(call $exit (call $fd_read (i32.const 7) (i32.const 16) (i32.const 1) (i32.const 24)))")
WASI_WRITE_IOVECS_OUTSIDE = wasi("(call $exit (call $fd_write (i32.const 1) (i32.const 0xfffc) (i32.const 1) (i32.const 24)))")
WASI_READ_INTO_OUTSIDE = wasi("""(i32.store (i32.const 16) (i32.const 0xff00)) (i32.store (i32.const 20) (i32.const 0x1000))
  (call $exit (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))""")
# A start function (run when instantiated, before _start) that writes "started\n" to stderr.
START_LOGS = """(start $started) (data (i32.const 200) "started\\n")
  (func $started (i32.store (i32.const 192) (i32.const 200)) (i32.store (i32.const 196) (i32.const 8))
    (drop (call $fd_write (i32.const 2) (i32.const 192) (i32.const 1) (i32.const 188))))"""
WASI_FLOOD = wasi("(loop (call $write (i32.const 64) (i32.const 60000)) (br 0))")  # stdout without end


def wasi_body(size: int) -> str:
    """A WASI command answering with a generated response whose body is `size` letters."""
    head, tail = '{"status":"200","body":"', '"}'
    pages = (size + 2 * 65536) // 65536
    return wasi(
        f"""(drop (memory.grow (i32.const {pages})))
        (memory.fill (i32.const 65536) (i32.const 97) (i32.const {size}))
        (call $write (i32.const 64) (i32.const {len(head)}))
        (call $write (i32.const 65536) (i32.const {size}))
        (call $write (i32.const 128) (i32.const {len(tail)}))""",
        extra=f'(data (i32.const 64) "{head.replace(chr(34), chr(92) + chr(34))}") (data (i32.const 128) "{tail.replace(chr(34), chr(92) + chr(34))}")',
    )


def viewer_request(uri: str = "/") -> dict:
    """A viewer-request event with the parts the example hooks read."""
    request = {"clientIp": "203.0.113.1", "headers": {"host": [{"key": "Host", "value": "example.org"}]}, "method": "GET", "querystring": "", "uri": uri}
    return {"Records": [{"cf": {"config": {"eventType": "viewer-request", "requestId": "x"}, "request": request}}]}

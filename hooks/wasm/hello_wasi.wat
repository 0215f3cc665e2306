;; The WASI ABI with no libc: a WASI command (_start) that answers every request with a fixed
;; page on stdout. It ignores the event on stdin; a real handler reads it with fd_read.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"status\":\"200\",\"statusDescription\":\"OK\",\"headers\":{\"content-type\":[{\"key\":\"Content-Type\",\"value\":\"text/plain\"}]},\"body\":\"Hello from WebAssembly (WASI ABI, WAT)\"}")

  (func (export "_start")
    (local $at i32)
    (local $left i32)
    (local.set $at (i32.const 64))
    (local.set $left (i32.const 162))
    ;; fd_write may write less than asked: go on from where it stopped.
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $left)))
        (i32.store (i32.const 0) (local.get $at))    ;; iovec.buf
        (i32.store (i32.const 4) (local.get $left))  ;; iovec.len
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))  ;; an errno: give up
        (local.set $at (i32.add (local.get $at) (i32.load (i32.const 8))))
        (local.set $left (i32.sub (local.get $left) (i32.load (i32.const 8))))
        (br $more)))))

// SPDX-License-Identifier: Apache-2.0
// The hand-over of a call between threads, as ThreadSanitizer needs to be told about it.
// gRPC orders everything a thread did before it hands a call to gRPC (a batch, a reactor
// operation, the start of a call) before whatever gRPC runs next for that call on another thread
// (the next interceptor batch, a reactor callback, a completion callback). gRPC's libraries are
// not built with ThreadSanitizer, so it cannot see that order; these annotations state it at the
// points where ctxflow gives control to gRPC (release) and gets it back (acquire). One object
// stands for all of gRPC: calls do not get ordered with one another in real life, so this can
// only hide a race between two pieces of code that both run under gRPC's control.
// Without -fsanitize=thread they compile to nothing.
#pragma once

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace ctxflow::integrations::grpc::detail {

#if defined(__SANITIZE_THREAD__)
inline void* handoff_key() noexcept {
  static char key;
  return &key;
}
/// Control comes back from gRPC: what was handed over before is visible.
inline void handoff_acquire() noexcept { __tsan_acquire(handoff_key()); }
/// Control goes to gRPC: what was done so far is handed over.
inline void handoff_release() noexcept { __tsan_release(handoff_key()); }
#else
inline void handoff_acquire() noexcept {}
inline void handoff_release() noexcept {}
#endif

}  // namespace ctxflow::integrations::grpc::detail

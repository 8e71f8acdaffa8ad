// C11 threads over POSIX threads, linked into every executable of the tsan preset.
//
// Why: Debian's librdkafka makes its threads, mutexes and condition variables with C11's
// thrd_create, mtx_lock, cnd_wait…, which glibc implements by calling its pthread functions
// internally, past ThreadSanitizer's interceptors (clang 14 and gcc 12 intercept the pthread_*
// names only). TSan then never hears of librdkafka's threads — their first malloc crashes inside
// the TSan runtime — nor of its locks, so every hand-over through a librdkafka queue would look
// like a race. Defining the C11 functions in the executable interposes them for librdkafka.so
// (the executable comes first in symbol lookup), and they call the pthread_* functions TSan
// intercepts. Each does what glibc's does (nptl/thrd_*.c, mtx_*.c, cnd_*.c): same types, same
// error mapping.
//
// The lock words themselves are librdkafka's memory, which it hands between its threads through
// C11 atomics TSan cannot see either (as tsan.supp says); so the pthread calls made for it are
// told to record their ordering but not their accesses to the lock word.
//
// Never linked outside the tsan preset: the real glibc functions are the right ones there.
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <threads.h>

#include <new>

static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t is glibc's pthread_t");
static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t is glibc's pthread_mutex_t");
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t is glibc's pthread_cond_t");
static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag is glibc's pthread_once_t");

// ThreadSanitizer's interface (sanitizer/tsan_interface.h): while on, the calling thread's memory
// accesses are not checked; its synchronisation still is.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();

namespace {

// glibc's mapping of pthread error numbers to C11 results (nptl/thrd_priv.h).
int c11_result(int pthread_error) {
  switch (pthread_error) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case ETIMEDOUT:
      return thrd_timedout;
    case EBUSY:
      return thrd_busy;
    default:
      return thrd_error;
  }
}

struct c11_start {
  thrd_start_t function;
  void* argument;
};

// Runs a C11 thread function on a pthread; its int result becomes the pthread's void* result,
// as in glibc, for thrd_join.
void* run_c11_thread(void* start) {
  const c11_start call = *static_cast<c11_start*>(start);
  delete static_cast<c11_start*>(start);
  return reinterpret_cast<void*>(static_cast<intptr_t>(call.function(call.argument)));
}

// For one call on librdkafka's lock words (see the top of the file).
class lock_word_unchecked {
 public:
  lock_word_unchecked() { __tsan_ignore_thread_begin(); }
  ~lock_word_unchecked() { __tsan_ignore_thread_end(); }
  lock_word_unchecked(const lock_word_unchecked&) = delete;
  lock_word_unchecked& operator=(const lock_word_unchecked&) = delete;
};

pthread_mutex_t* as_pthread(mtx_t* mutex) {
  return reinterpret_cast<pthread_mutex_t*>(mutex);
}
pthread_cond_t* as_pthread(cnd_t* condition) {
  return reinterpret_cast<pthread_cond_t*>(condition);
}

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  auto* start = new (std::nothrow) c11_start{function, argument};
  if (start == nullptr) return thrd_nomem;
  const int error = pthread_create(thread, nullptr, run_c11_thread, start);
  if (error != 0) delete start;
  return c11_result(error);
}

int thrd_join(thrd_t thread, int* result) {
  void* pthread_result = nullptr;
  const int error = pthread_join(thread, &pthread_result);
  if (error == 0 && result != nullptr) {
    *result = static_cast<int>(reinterpret_cast<intptr_t>(pthread_result));
  }
  return c11_result(error);
}

int thrd_detach(thrd_t thread) {
  return c11_result(pthread_detach(thread));
}

int mtx_init(mtx_t* mutex, int type) {
  const lock_word_unchecked unchecked;
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if ((type & mtx_recursive) != 0) pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  const int error = pthread_mutex_init(as_pthread(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return c11_result(error);
}

int mtx_lock(mtx_t* mutex) {
  const lock_word_unchecked unchecked;
  return c11_result(pthread_mutex_lock(as_pthread(mutex)));
}

int mtx_trylock(mtx_t* mutex) {
  const lock_word_unchecked unchecked;
  return c11_result(pthread_mutex_trylock(as_pthread(mutex)));
}

int mtx_unlock(mtx_t* mutex) {
  const lock_word_unchecked unchecked;
  return c11_result(pthread_mutex_unlock(as_pthread(mutex)));
}

void mtx_destroy(mtx_t* mutex) {
  const lock_word_unchecked unchecked;
  pthread_mutex_destroy(as_pthread(mutex));
}

int cnd_init(cnd_t* condition) {
  const lock_word_unchecked unchecked;
  return c11_result(pthread_cond_init(as_pthread(condition), nullptr));
}

int cnd_signal(cnd_t* condition) {
  const lock_word_unchecked unchecked;
  return c11_result(pthread_cond_signal(as_pthread(condition)));
}

int cnd_broadcast(cnd_t* condition) {
  const lock_word_unchecked unchecked;
  return c11_result(pthread_cond_broadcast(as_pthread(condition)));
}

void cnd_destroy(cnd_t* condition) {
  const lock_word_unchecked unchecked;
  pthread_cond_destroy(as_pthread(condition));
}

int cnd_wait(cnd_t* condition, mtx_t* mutex) {
  const lock_word_unchecked unchecked;
  return c11_result(pthread_cond_wait(as_pthread(condition), as_pthread(mutex)));
}

// C11's deadline is on CLOCK_REALTIME, pthread_cond_timedwait's default clock.
int cnd_timedwait(cnd_t* condition, mtx_t* mutex, const struct timespec* deadline) {
  const lock_word_unchecked unchecked;
  return c11_result(pthread_cond_timedwait(as_pthread(condition), as_pthread(mutex), deadline));
}

void call_once(once_flag* flag, void (*function)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), function);
}

}  // extern "C"

//! Reaping the engine with `wait4`, which returns the kernel's accounting of the process (and
//! of the children it waited for): CPU time and peak resident memory, measured, not sampled.

use fredbatch_core::judge::EngineExit;
use nix::unistd::Pid;

#[derive(Debug)]
pub struct Reaped {
    pub exit: EngineExit,
    pub cpu_seconds: f64,
    pub peak_rss_kb: u64,
}

/// Blocks until `pid` ends; call from a blocking thread.
pub fn wait_and_measure(pid: Pid) -> std::io::Result<Reaped> {
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    #[allow(unsafe_code)]
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes for the duration of the call.
        #[allow(unsafe_code)]
        let result = unsafe { libc::wait4(pid.as_raw(), &mut status, 0, &mut usage) };
        if result == pid.as_raw() {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    let exit = if libc::WIFSIGNALED(status) {
        EngineExit::Signal(libc::WTERMSIG(status))
    } else {
        EngineExit::Code(libc::WEXITSTATUS(status))
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Reaped {
        exit,
        cpu_seconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        // Linux reports ru_maxrss in kilobytes.
        peak_rss_kb: usage.ru_maxrss.max(0) as u64,
    })
}

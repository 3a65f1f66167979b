//! `ssp-device`: a device simulator that speaks the SSP device API.
//!
//! ```text
//! ssp-device enroll --url http://127.0.0.1:3000/enroll/TOKEN --pin 12345678 --once
//! ssp-device --url http://127.0.0.1:3000 --credential TOKEN --once
//! SSP_DEVICE_CREDENTIAL=TOKEN ssp-device --url … --interval 10 --latitude 51.5 --longitude -0.12
//! ```
//!
//! Everything it does is in the library (`ssp_device::run`), which the
//! portal's integration tests call in-process.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    ssp_device::run(std::env::args_os(), &mut ssp_device::Console::Print).await
}

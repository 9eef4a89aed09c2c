//! (being built)
use thiserror::Error;
#[derive(Debug, Error)]
pub enum SynthError {
    #[error("synth: {0}")]
    Other(String),
}
pub struct SynthOptions { pub seed: u64, pub scale: u32 }
pub fn generate(_dir: &std::path::Path, _o: &SynthOptions) -> Result<(), SynthError> { Err(SynthError::Other("not yet".into())) }

//! The protobuf codec of the vetting services: prost's, with two differences.
//!
//! - A message that is not valid protobuf is the caller's mistake: `INVALID_ARGUMENT` (prost's
//!   codec answers `INTERNAL`, which tells the caller the server failed and invites a retry).
//! - Smaller buffers: tonic's 8 KiB read and write buffers are allocated for each call, and an
//!   open stream holds them while idle; a request here is a few hundred bytes. The buffers grow
//!   as a message needs.

use std::marker::PhantomData;

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

/// Bytes each call's read and write buffers start with.
const BUFFER_BYTES: usize = 1024;
/// A streaming answer's buffered messages are sent once they reach this (tonic's default).
const YIELD_BYTES: usize = 32 * 1024;

fn buffers() -> BufferSettings {
    BufferSettings::new(BUFFER_BYTES, YIELD_BYTES)
}

/// The codec the generated services use (`codec_path` in `build.rs`).
#[derive(Debug)]
pub struct VettingCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for VettingCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for VettingCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = VettingDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(buffers())
    }

    fn decoder(&mut self) -> Self::Decoder {
        VettingDecoder(PhantomData)
    }
}

/// Decodes with prost; a malformed message is `INVALID_ARGUMENT`.
#[derive(Debug)]
pub struct VettingDecoder<U>(PhantomData<U>);

impl<U: Message + Default> Decoder for VettingDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(|e| {
            Status::invalid_argument(format!("the request is not a valid protobuf message: {e}"))
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        buffers()
    }
}

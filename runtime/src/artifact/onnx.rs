//! The ONNX protobuf messages a sublex model file uses, from `onnx.proto` (ONNX IR version
//! 8, proto3 syntax): only the messages and fields the format writes, with their field
//! numbers and wire types exactly as in `onnx.proto`, so a file encoded here is byte for byte
//! what a full generated ONNX module encodes (fields in field-number order, proto3 defaults
//! left out, repeated integers packed), and any ONNX runtime reads it.
//!
//! Declared here rather than borrowed from tract so that reading and writing model files
//! needs no inference engine: the kernel-only builds (no tract) read files with these types.
//! Fields a sublex file never holds are skipped when decoding. The `prost::Message` impls are
//! written by the `message!` macro below over prost's wire-format primitives (what
//! prost-derive generates), which keeps prost-derive and its dependencies out of the build.

use prost::bytes::{Buf, BufMut};
use prost::encoding::{self as wire, DecodeContext, WireType};
use prost::DecodeError;

/// `TensorProto.DataType`: the element types the format stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum DataType {
    Float = 1,
    Uint8 = 2,
    Int8 = 3,
    Int64 = 7,
    Float16 = 10,
}

/// `AttributeProto.AttributeType`, the kinds the format's nodes carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum AttributeType {
    Int = 2,
    String = 3,
    Tensor = 4,
    Ints = 7,
}

/// How one field is written, read and measured. Proto3 leaves a scalar at its default out.
mod codec {
    use super::*;

    macro_rules! scalar {
        ($name:ident, $ty:ty, $prost:ident, $default:expr) => {
            pub mod $name {
                use super::*;
                pub fn encode(tag: u32, v: &$ty, buf: &mut impl BufMut) {
                    if *v != $default {
                        wire::$prost::encode(tag, v, buf)
                    }
                }
                pub fn merge(
                    wt: WireType,
                    v: &mut $ty,
                    buf: &mut impl Buf,
                    ctx: DecodeContext,
                ) -> Result<(), DecodeError> {
                    wire::$prost::merge(wt, v, buf, ctx)
                }
                pub fn len(tag: u32, v: &$ty) -> usize {
                    if *v != $default {
                        wire::$prost::encoded_len(tag, v)
                    } else {
                        0
                    }
                }
            }
        };
    }
    scalar!(int64, i64, int64, 0);
    scalar!(int32, i32, int32, 0);
    scalar!(string, String, string, "");
    scalar!(bytes, Vec<u8>, bytes, Vec::<u8>::new());

    /// A repeated field of `$ty` written with prost's `$encode` (packed or one entry per
    /// value); decoding accepts both forms.
    macro_rules! repeated {
        ($name:ident, $ty:ty, $prost:ident, $encode:ident, $len:ident) => {
            pub mod $name {
                use super::*;
                pub fn encode(tag: u32, v: &[$ty], buf: &mut impl BufMut) {
                    wire::$prost::$encode(tag, v, buf)
                }
                pub fn merge(
                    wt: WireType,
                    v: &mut Vec<$ty>,
                    buf: &mut impl Buf,
                    ctx: DecodeContext,
                ) -> Result<(), DecodeError> {
                    wire::$prost::merge_repeated(wt, v, buf, ctx)
                }
                pub fn len(tag: u32, v: &[$ty]) -> usize {
                    wire::$prost::$len(tag, v)
                }
            }
        };
    }
    repeated!(packed_int64, i64, int64, encode_packed, encoded_len_packed);
    repeated!(
        strings,
        String,
        string,
        encode_repeated,
        encoded_len_repeated
    );

    pub mod message {
        use super::*;
        pub fn encode<M: prost::Message>(tag: u32, v: &Option<M>, buf: &mut impl BufMut) {
            if let Some(m) = v {
                wire::message::encode(tag, m, buf)
            }
        }
        pub fn merge<M: prost::Message + Default>(
            wt: WireType,
            v: &mut Option<M>,
            buf: &mut impl Buf,
            ctx: DecodeContext,
        ) -> Result<(), DecodeError> {
            wire::message::merge(wt, v.get_or_insert_with(M::default), buf, ctx)
        }
        pub fn len<M: prost::Message>(tag: u32, v: &Option<M>) -> usize {
            v.as_ref().map_or(0, |m| wire::message::encoded_len(tag, m))
        }
    }

    pub mod messages {
        use super::*;
        pub fn encode<M: prost::Message>(tag: u32, v: &[M], buf: &mut impl BufMut) {
            wire::message::encode_repeated(tag, v, buf)
        }
        pub fn merge<M: prost::Message + Default>(
            wt: WireType,
            v: &mut Vec<M>,
            buf: &mut impl Buf,
            ctx: DecodeContext,
        ) -> Result<(), DecodeError> {
            wire::message::merge_repeated(wt, v, buf, ctx)
        }
        pub fn len<M: prost::Message>(tag: u32, v: &[M]) -> usize {
            wire::message::encoded_len_repeated(tag, v)
        }
    }
}

/// A message struct and its `prost::Message` impl: `field: Type = tag as codec`, declared in
/// field-number order (the order they are written in).
macro_rules! message {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty = $tag:literal as $codec:ident,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        impl prost::Message for $name {
            fn encode_raw(&self, buf: &mut impl BufMut) {
                $(codec::$codec::encode($tag, &self.$field, buf);)*
            }

            fn merge_field(
                &mut self,
                tag: u32,
                wire_type: WireType,
                buf: &mut impl Buf,
                ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                match tag {
                    $($tag => codec::$codec::merge(wire_type, &mut self.$field, buf, ctx),)*
                    _ => wire::skip_field(wire_type, tag, buf, ctx),
                }
            }

            fn encoded_len(&self) -> usize {
                0 $(+ codec::$codec::len($tag, &self.$field))*
            }

            fn clear(&mut self) {
                *self = Self::default();
            }
        }
    };
}

message!(ModelProto {
    ir_version: i64 = 1 as int64,
    producer_name: String = 2 as string,
    producer_version: String = 3 as string,
    graph: Option<GraphProto> = 7 as message,
    opset_import: Vec<OperatorSetIdProto> = 8 as messages,
    metadata_props: Vec<StringStringEntryProto> = 14 as messages,
});

message!(OperatorSetIdProto {
    domain: String = 1 as string,
    version: i64 = 2 as int64,
});

message!(StringStringEntryProto {
    key: String = 1 as string,
    value: String = 2 as string,
});

message!(GraphProto {
    node: Vec<NodeProto> = 1 as messages,
    name: String = 2 as string,
    initializer: Vec<TensorProto> = 5 as messages,
    input: Vec<ValueInfoProto> = 11 as messages,
    output: Vec<ValueInfoProto> = 12 as messages,
});

message!(NodeProto {
    input: Vec<String> = 1 as strings,
    output: Vec<String> = 2 as strings,
    name: String = 3 as string,
    op_type: String = 4 as string,
    attribute: Vec<AttributeProto> = 5 as messages,
    domain: String = 7 as string,
});

message!(
    /// `type` is an [`AttributeType`]; tract checks it, so the builders always set it.
    AttributeProto {
        name: String = 1 as string,
        i: i64 = 3 as int64,
        s: Vec<u8> = 4 as bytes,
        t: Option<TensorProto> = 5 as message,
        ints: Vec<i64> = 8 as packed_int64,
        r#type: i32 = 20 as int32,
    }
);

message!(
    /// `data_type` is a [`DataType`]; weights are in `raw_data` (little-endian).
    TensorProto {
        dims: Vec<i64> = 1 as packed_int64,
        data_type: i32 = 2 as int32,
        int64_data: Vec<i64> = 7 as packed_int64,
        name: String = 8 as string,
        raw_data: Vec<u8> = 9 as bytes,
    }
);

message!(ValueInfoProto {
    name: String = 1 as string,
    r#type: Option<TypeProto> = 2 as message,
});

message!(
    /// `TypeProto` with the one variant of its `value` oneof the format uses,
    /// `tensor_type` (field 1).
    TypeProto {
        tensor_type: Option<TensorType> = 1 as message,
    }
);

message!(
    /// `TypeProto.Tensor`; `elem_type` is a [`DataType`].
    TensorType {
        elem_type: i32 = 1 as int32,
        shape: Option<TensorShapeProto> = 2 as message,
    }
);

message!(TensorShapeProto {
    dim: Vec<Dimension> = 1 as messages,
});

/// `TensorShapeProto.Dimension`: its `value` oneof, a fixed size (field 1) or a named
/// symbolic one (field 2). A oneof member is written even when it holds the default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dimension {
    pub value: Option<DimensionValue>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DimensionValue {
    DimValue(i64),
    DimParam(String),
}

impl prost::Message for Dimension {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        match &self.value {
            Some(DimensionValue::DimValue(v)) => wire::int64::encode(1, v, buf),
            Some(DimensionValue::DimParam(p)) => wire::string::encode(2, p, buf),
            None => {}
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => {
                let mut v = 0;
                wire::int64::merge(wire_type, &mut v, buf, ctx)?;
                self.value = Some(DimensionValue::DimValue(v));
            }
            2 => {
                let mut p = String::new();
                wire::string::merge(wire_type, &mut p, buf, ctx)?;
                self.value = Some(DimensionValue::DimParam(p));
            }
            _ => wire::skip_field(wire_type, tag, buf, ctx)?,
        }
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        match &self.value {
            Some(DimensionValue::DimValue(v)) => wire::int64::encoded_len(1, v),
            Some(DimensionValue::DimParam(p)) => wire::string::encoded_len(2, p),
            None => 0,
        }
    }

    fn clear(&mut self) {
        self.value = None;
    }
}

//! ICMP type names per family (cilium-semantics §2.7).

pub(crate) const IPV4: &[(&str, u8)] = &[
    ("EchoReply", 0),
    ("DestinationUnreachable", 3),
    ("Redirect", 5),
    ("Echo", 8),
    ("EchoRequest", 8),
    ("RouterAdvertisement", 9),
    ("RouterSelection", 10),
    ("TimeExceeded", 11),
    ("ParameterProblem", 12),
    ("Timestamp", 13),
    ("TimestampReply", 14),
    ("Photuris", 40),
    ("ExtendedEchoRequest", 42),
    ("ExtendedEchoReply", 43),
];

pub(crate) const IPV6: &[(&str, u8)] = &[
    ("DestinationUnreachable", 1),
    ("PacketTooBig", 2),
    ("TimeExceeded", 3),
    ("ParameterProblem", 4),
    ("EchoRequest", 128),
    ("EchoReply", 129),
    ("MulticastListenerQuery", 130),
    ("MulticastListenerReport", 131),
    ("MulticastListenerDone", 132),
    ("RouterSolicitation", 133),
    ("RouterAdvertisement", 134),
    ("NeighborSolicitation", 135),
    ("NeighborAdvertisement", 136),
    ("RedirectMessage", 137),
    ("RouterRenumbering", 138),
    ("ICMPNodeInformationQuery", 139),
    ("ICMPNodeInformationResponse", 140),
    ("InverseNeighborDiscoverySolicitation", 141),
    ("InverseNeighborDiscoveryAdvertisement", 142),
    ("HomeAgentAddressDiscoveryRequest", 144),
    ("HomeAgentAddressDiscoveryReply", 145),
    ("MobilePrefixSolicitation", 146),
    ("MobilePrefixAdvertisement", 147),
    ("DuplicateAddressRequestCodeSuffix", 157),
    ("DuplicateAddressConfirmationCodeSuffix", 158),
    ("ExtendedEchoRequest", 160),
    ("ExtendedEchoReply", 161),
];

/// Whether the CRD's `type` pattern accepts the string `value`: a number
/// 0..255 without leading zeros, or one of its names. The pattern misspells
/// `ExtendedEchoReply` as `ExtendedEcho Reply`, so the API server refuses the
/// real name and accepts the misspelt one (which the agent then refuses).
pub(super) fn crd_accepts(value: &str) -> bool {
    let canonical_number =
        value == "0" || (!value.starts_with('0') && value.len() <= 3 && value.parse::<u16>().is_ok_and(|n| n <= 255));
    canonical_number
        || value == "ExtendedEcho Reply"
        || (value != "ExtendedEchoReply" && IPV4.iter().chain(IPV6).any(|(n, _)| *n == value))
}

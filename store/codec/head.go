package codec

// CBOR item heads, for the hand-written encoders and decoders that read and write this
// package's encoding without reflection on hot paths (a rebuild's records, the outbox, the
// tag plan, the segments' profiles): one copy of the head rules they share.

// AppendHead appends a CBOR item head of major type major (0-7) with argument n, in its
// shortest form, as the deterministic encoding writes it.
func AppendHead(dst []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(dst, m|byte(n))
	case n <= 0xff:
		return append(dst, m|24, byte(n))
	case n <= 0xffff:
		return append(dst, m|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(dst, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// ReadHead reads the CBOR item head at b[i], of major type major with a definite argument:
// it returns the argument and the index after the head. ok is false for another major type,
// an indefinite length or reserved value, or b ending before the head does. A head longer
// than its shortest form is read (minimal reports whether it was the shortest).
func ReadHead(b []byte, i int, major byte) (n uint64, next int, minimal, ok bool) {
	if i < 0 || i >= len(b) || b[i]>>5 != major {
		return 0, i, false, false
	}
	info := b[i] & 0x1f
	i++
	if info < 24 {
		return uint64(info), i, true, true
	}
	if info > 27 {
		return 0, i, false, false
	}
	size := 1 << (info - 24)
	if len(b)-i < size {
		return 0, i, false, false
	}
	for _, c := range b[i : i+size] {
		n = n<<8 | uint64(c)
	}
	minimal = size == 1 && n >= 24 || size > 1 && n>>(4*size) != 0
	return n, i + size, minimal, true
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final
/// xor 0xFFFFFFFF), the checksum of every batch's compressed frame and metadata.
/// Slice-by-8: eight 256-entry tables consume eight bytes per step, fast enough that
/// checking a frame costs little next to decompressing it.
public enum CRC32C {
    private static let polynomial: UInt32 = 0x82F6_3B78

    // A raw pointer, not an array, so the inner loop has no bounds checks or
    // retain/release; filled once, read-only afterwards, never freed.
    nonisolated(unsafe) private static let table: UnsafeMutablePointer<UInt32> = {
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1
            }
            table[index] = crc
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = table[(slice - 1) * 256 + index]
                table[slice * 256 + index] = (previous >> 8) ^ table[Int(previous & 0xff)]
            }
        }
        return table
    }()

    /// The CRC-32C of `bytes`; pass a previous result as `continuing` to checksum
    /// several pieces as one sequence.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return previous }
        let table = self.table
        var crc = ~previous
        var pointer = base
        var remaining = bytes.count
        while remaining >= 8 {
            let word = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self)) ^ UInt64(crc)
            crc = table[7 * 256 + Int(word & 0xff)]
                ^ table[6 * 256 + Int((word >> 8) & 0xff)]
                ^ table[5 * 256 + Int((word >> 16) & 0xff)]
                ^ table[4 * 256 + Int((word >> 24) & 0xff)]
                ^ table[3 * 256 + Int((word >> 32) & 0xff)]
                ^ table[2 * 256 + Int((word >> 40) & 0xff)]
                ^ table[1 * 256 + Int((word >> 48) & 0xff)]
                ^ table[Int(word >> 56)]
            pointer += 8
            remaining -= 8
        }
        while remaining > 0 {
            crc = (crc >> 8) ^ table[Int((crc ^ UInt32(pointer.load(as: UInt8.self))) & 0xff)]
            pointer += 1
            remaining -= 1
        }
        return ~crc
    }

    /// The CRC-32C of a byte array.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}

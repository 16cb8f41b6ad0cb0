// The checksum processBuffer computes, in plain JS, to check it against.
export function expectedChecksum(size) {
  let sum = 0;
  for (let i = 0; i < size; i++) {
    sum = (sum + ((i * 31 + 7) & 255) * ((i % 251) + 1)) >>> 0;
  }
  return sum;
}

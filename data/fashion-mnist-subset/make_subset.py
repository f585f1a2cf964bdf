# Builds the small class-balanced Fashion-MNIST subset that Functional embeds, reproducibly, from the full IDX files.
"""Usage: python3 make_subset.py [SOURCE_DIR] [OUTPUT_DIR]

SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist),
OUTPUT_DIR to the directory holding this script. Python 3 standard library only.
The choice of images is the same on every Python 3 version; the .gz bytes are identical too as long as
zlib compresses the same way (it has for years at level 9, but that is zlib's promise, not ours).
"""
import gzip
import os
import struct
import sys

SEED = 20170825  # Fashion-MNIST's release date; any fixed value would do, this one is just memorable.
CLASSES = 10
PER_CLASS = {"train": 400, "t10k": 100}
MASK64 = (1 << 64) - 1


class SplitMix64:
    """A fully specified generator: random.Random's shuffle/sample are not promised to stay the same
    across Python versions (only random() is), and the subset must not change when Python does."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, bound):
        # Rejection sampling so every value is equally likely (plain modulo would favour small ones).
        limit = (1 << 64) - ((1 << 64) % bound)
        while True:
            x = self.next()
            if x < limit:
                return x % bound

    def shuffle(self, values):
        for i in range(len(values) - 1, 0, -1):
            j = self.below(i + 1)
            values[i], values[j] = values[j], values[i]


def read_idx(path, expected_magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != expected_magic:
        sys.exit(f"{path}: expected magic 0x{expected_magic:08X}, found 0x{magic:08X}")
    dims = struct.unpack(">" + "I" * (magic & 0xFF), data[4:4 + 4 * (magic & 0xFF)])
    return dims, data[4 + 4 * len(dims):]


def write_idx(path, magic, dims, body):
    # mtime=0 and no file name in the gzip header, so the bytes depend only on the content.
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(struct.pack(">I" + "I" * len(dims), magic, *dims))
            f.write(body)


def make(source, output, split, rng):
    (count,), labels = read_idx(os.path.join(source, f"{split}-labels-idx1-ubyte.gz"), 0x00000801)
    (n, rows, cols), pixels = read_idx(os.path.join(source, f"{split}-images-idx3-ubyte.gz"), 0x00000803)
    if n != count:
        sys.exit(f"{split}: {n} images but {count} labels")
    chosen = []
    for c in range(CLASSES):
        members = [i for i in range(count) if labels[i] == c]
        rng.shuffle(members)
        chosen.extend(members[:PER_CLASS[split]])
    # Keep the original file order: the originals are already mixed, and sorted indices make the subset easy to audit.
    chosen.sort()
    size = rows * cols
    write_idx(os.path.join(output, f"{split}-labels-idx1-ubyte.gz"), 0x00000801, [len(chosen)],
              bytes(labels[i] for i in chosen))
    write_idx(os.path.join(output, f"{split}-images-idx3-ubyte.gz"), 0x00000803, [len(chosen), rows, cols],
              b"".join(pixels[i * size:(i + 1) * size] for i in chosen))
    print(f"{split}: {len(chosen)} of {count} images ({PER_CLASS[split]} per class)")


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(output, exist_ok=True)
    rng = SplitMix64(SEED)
    for split in ("train", "t10k"):
        make(source, output, split, rng)


if __name__ == "__main__":
    main()

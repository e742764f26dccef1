"""Turn a folder into a BagIt 1.0 bag with bagit-python, in its own process:
`python -m colorize.services.bagit_make FOLDER BAG_INFO_JSON`.

bagit-python changes the process's working directory while it writes (os.chdir), which would move every other
thread of a server process with it; a child process keeps that to itself. It writes version 0.97 tag files;
the bag is then declared BagIt 1.0 (RFC 8493: the same layout and manifests) and its tag manifests made again,
and the result is validated before the parent sees it. No Django here.
"""

import json
import sys

import bagit

ALGORITHMS = ["sha256", "sha512"]
BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def make(folder: str, bag_info: dict) -> None:
    bagit.make_bag(folder, bag_info=bag_info, checksums=ALGORITHMS, processes=1)
    with open(f"{folder}/bagit.txt", "w", encoding="utf-8", newline="\n") as f:
        f.write(BAGIT_TXT)
    bag = bagit.Bag(folder)
    bag.save(manifests=False)  # tag manifests again, over the new bagit.txt
    bagit.Bag(folder).validate()


if __name__ == "__main__":
    make(sys.argv[1], json.loads(sys.argv[2]))

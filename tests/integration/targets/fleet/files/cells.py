"""Counts the pixels of a drift report screenshot by the report's cell colours: how much of the table shows.

Usage: python cells.py SCREENSHOT.png -> {"width", "height", "match_pixels", "drift_pixels"} as JSON.
"""

import json
import sys

from PIL import Image

MATCH = (0xE3, 0xF6, 0xE6)  # td.match background in the page's style
DRIFT = (0xFD, 0xE4, 0xE1)  # td.drift background


def main():
    image = Image.open(sys.argv[1]).convert("RGB")
    counts = {MATCH: 0, DRIFT: 0}
    for pixel in image.getdata():
        if pixel in counts:
            counts[pixel] += 1
    print(json.dumps({"width": image.width, "height": image.height, "match_pixels": counts[MATCH],
                      "drift_pixels": counts[DRIFT]}))


if __name__ == "__main__":
    main()

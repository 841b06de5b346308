"""Regenerate the application icon files from the SVG sources with Qt itself (QtSvg is part of
PySide6 Essentials), so no image tool is needed. Run through ``scripts/make-icons``.

- ``maica_xero_desktop/resources/icons/app/maica-xero-{16..512}.png`` (package data, read at run
  time): 16 and 32 from ``resources/maica-xero-small.svg`` (the detail that blurs at that size left
  out), the rest from ``resources/maica-xero.svg``;
- ``resources/maica-xero.ico``: every size up to 256 in one file (PNG-compressed entries, which
  Windows Vista and later read), for the Windows executable and its shortcuts;
- ``resources/maica-xero.icns``: 16 to 512 for a macOS bundle.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"  # the sources, and the build's .ico and .icns
PACKAGE_ICONS = ROOT / "maica_xero_desktop" / "resources" / "icons" / "app"  # read at run time
SIZES = (16, 32, 48, 64, 128, 256, 512)
SMALL = 32  # sizes up to this one use the simplified drawing
ICO_SIZES = (16, 32, 48, 64, 128, 256)
# ICNS entry types holding PNG data, by pixel size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}


def render(svg: Path, size: int) -> bytes:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, b"PNG"):
        raise SystemExit(f"could not encode {svg} at {size} px")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """ICONDIR + one ICONDIRENTRY per size + the PNG payloads (width/height 0 means 256)."""
    sizes = [s for s in ICO_SIZES if s in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, payload = b"", b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        payload += data
    return header + entries + payload


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for size, kind in ICNS_TYPES.items()
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication(sys.argv[:1])
    pngs = {
        size: render(
            RESOURCES / ("maica-xero-small.svg" if size <= SMALL else "maica-xero.svg"), size
        )
        for size in SIZES
    }
    folder = PACKAGE_ICONS
    folder.mkdir(parents=True, exist_ok=True)
    for size, data in pngs.items():
        (folder / f"maica-xero-{size}.png").write_bytes(data)
    (RESOURCES / "maica-xero.ico").write_bytes(ico(pngs))
    (RESOURCES / "maica-xero.icns").write_bytes(icns(pngs))
    for path in sorted([*folder.glob("*.png"), RESOURCES / "maica-xero.ico"]):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")
    print(f"{(RESOURCES / 'maica-xero.icns').relative_to(ROOT)}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())

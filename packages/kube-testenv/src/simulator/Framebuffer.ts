/**
 * 5×7 glyphs, drawn for the simulator's VNC screen: what a VM name can hold
 * (a DNS label: lower-case letters, digits, `-`, `.`) and a few signs. Each
 * string is one row, `#` a lit pixel.
 */
const GLYPHS: Record<string, string[]> = {
  a: ['.....', '.....', '.###.', '....#', '.####', '#...#', '.####'],
  b: ['#....', '#....', '####.', '#...#', '#...#', '#...#', '####.'],
  c: ['.....', '.....', '.###.', '#....', '#....', '#...#', '.###.'],
  d: ['....#', '....#', '.####', '#...#', '#...#', '#...#', '.####'],
  e: ['.....', '.....', '.###.', '#...#', '#####', '#....', '.###.'],
  f: ['..##.', '.#..#', '.#...', '###..', '.#...', '.#...', '.#...'],
  g: ['.....', '.####', '#...#', '#...#', '.####', '....#', '.###.'],
  h: ['#....', '#....', '#.##.', '##..#', '#...#', '#...#', '#...#'],
  i: ['..#..', '.....', '.##..', '..#..', '..#..', '..#..', '.###.'],
  j: ['...#.', '.....', '..##.', '...#.', '...#.', '#..#.', '.##..'],
  k: ['#....', '#....', '#..#.', '#.#..', '##...', '#.#..', '#..#.'],
  l: ['.##..', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  m: ['.....', '.....', '##.#.', '#.#.#', '#.#.#', '#...#', '#...#'],
  n: ['.....', '.....', '#.##.', '##..#', '#...#', '#...#', '#...#'],
  o: ['.....', '.....', '.###.', '#...#', '#...#', '#...#', '.###.'],
  p: ['.....', '####.', '#...#', '#...#', '####.', '#....', '#....'],
  q: ['.....', '.####', '#...#', '#...#', '.####', '....#', '....#'],
  r: ['.....', '.....', '#.##.', '##..#', '#....', '#....', '#....'],
  s: ['.....', '.....', '.####', '#....', '.###.', '....#', '####.'],
  t: ['.#...', '.#...', '###..', '.#...', '.#...', '.#..#', '..##.'],
  u: ['.....', '.....', '#...#', '#...#', '#...#', '#..##', '.##.#'],
  v: ['.....', '.....', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  w: ['.....', '.....', '#...#', '#...#', '#.#.#', '#.#.#', '.#.#.'],
  x: ['.....', '.....', '#...#', '.#.#.', '..#..', '.#.#.', '#...#'],
  y: ['.....', '#...#', '#...#', '#...#', '.####', '....#', '.###.'],
  z: ['.....', '.....', '#####', '...#.', '..#..', '.#...', '#####'],
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ':': ['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....'],
  '/': ['.....', '....#', '...#.', '..#..', '.#...', '#....', '.....'],
  _: ['.....', '.....', '.....', '.....', '.....', '.....', '#####'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  '?': ['.###.', '#...#', '....#', '...#.', '..#..', '.....', '..#..'],
};

/** A glyph cell: 5 pixels and one of spacing wide, 7 high. */
const CELL_WIDTH = 6;
const GLYPH_HEIGHT = 7;

/** An RGB colour, 0–255 each. */
export type Rgb = readonly [number, number, number];

/**
 * A screen of RGB pixels the simulated VNC server shows. Text is drawn with a
 * built-in 5×7 font, scaled up by whole pixels; letters are drawn lower-case
 * (names are DNS labels) and anything the font lacks as `?`.
 */
export class Framebuffer {
  /** 3 bytes (R, G, B) per pixel, row by row. */
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    this.fill(0, 0, width, height, background);
  }

  fill(x: number, y: number, w: number, h: number, colour: Rgb): void {
    for (let row = Math.max(0, y); row < Math.min(this.height, y + h); row++) {
      for (let col = Math.max(0, x); col < Math.min(this.width, x + w); col++) {
        this.pixels.set(colour, (row * this.width + col) * 3);
      }
    }
  }

  /** The width `text` takes at `scale`. */
  static textWidth(text: string, scale: number): number {
    return text.length * CELL_WIDTH * scale - scale;
  }

  /** The largest scale (at most `max`) at which `text` fits in `width`. */
  static fitScale(text: string, width: number, max: number): number {
    const cells = Math.max(1, text.length * CELL_WIDTH - 1);
    return Math.max(1, Math.min(max, Math.floor(width / cells)));
  }

  /** Draws `text` with its top left corner at (x, y). */
  drawText(x: number, y: number, text: string, scale: number, colour: Rgb) {
    [...text.toLowerCase()].forEach((char, index) => {
      const glyph = GLYPHS[char] ?? GLYPHS['?'];
      const left = x + index * CELL_WIDTH * scale;
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let col = 0; col < 5; col++) {
          if (glyph[row][col] === '#')
            this.fill(
              left + col * scale,
              y + row * scale,
              scale,
              scale,
              colour,
            );
        }
      }
    });
  }

  /** Draws `text` centred horizontally with its top at `y`. */
  drawCentred(y: number, text: string, scale: number, colour: Rgb) {
    const x = Math.floor((this.width - Framebuffer.textWidth(text, scale)) / 2);
    this.drawText(x, y, text, scale, colour);
  }

  /** The height of one line of text at `scale`. */
  static lineHeight(scale: number): number {
    return GLYPH_HEIGHT * scale;
  }
}

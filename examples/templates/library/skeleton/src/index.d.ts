/** Turns a title into a URL-safe slug: "Hello, World!" → "hello-world". */
export declare function slugify(text: string): string;

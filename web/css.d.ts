/** CSS imports are bundled by esbuild into main.css (scripts/build-web.mjs). */
declare module '*.css';

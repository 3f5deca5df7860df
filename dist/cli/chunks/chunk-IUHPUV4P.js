import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
function o(e,t,n=1e4){let r=setInterval(()=>e.info(t()),n);return r.unref(),()=>clearInterval(r)}export{o as a};

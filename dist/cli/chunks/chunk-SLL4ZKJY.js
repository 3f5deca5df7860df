import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
var e=["rolling","blue-green","canary"],t=["deploy","promote","abort","rollback"];export{e as a,t as b};

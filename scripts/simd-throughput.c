// The x86 multiply-add rates behind RESULTS "int8 end to end" (issue 18): each instruction on
// 12 independent zmm accumulators, in inline assembly so that the compiler keeps it as written.
// Needs an AVX-512 VNNI CPU.  gcc -O2 scripts/simd-throughput.c -o /tmp/simd-throughput && /tmp/simd-throughput
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define N 50000000L
#define R12(I) I(0) I(1) I(2) I(3) I(4) I(5) I(6) I(7) I(8) I(9) I(10) I(11)
#define FMA(j) "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #j "\n"
#define MADD(j) "vpmaddwd %%zmm30, %%zmm31, %%zmm29\n vpaddd %%zmm29, %%zmm" #j ", %%zmm" #j "\n"
#define MADD2(j) "vpmaddwd %%zmm30, %%zmm31, %%zmm" #j "\n"
#define DPW(j) "vpdpwssd %%zmm30, %%zmm31, %%zmm" #j "\n"
#define DPB(j) "vpdpbusd %%zmm30, %%zmm31, %%zmm" #j "\n"
#define BENCH(NAME, BODY, PER) { double t=now(); for(long i=0;i<N;i++){ __asm__ volatile(BODY ::: "memory"); } double d=now()-t; printf("%-28s %.2f Ginstr/s, %.1f GMAC/s\n", NAME, 12.0*N/d/1e9, PER*12.0*N/d/1e9);} 
int main(){
  __asm__ volatile("vpxord %%zmm30,%%zmm30,%%zmm30\n vpxord %%zmm31,%%zmm31,%%zmm31":::);
  for(int r=0;r<2;r++){
  BENCH("vfmadd231ps", R12(FMA), 16)
  BENCH("vpmaddwd (no add)", R12(MADD2), 32)
  BENCH("vpmaddwd + vpaddd (pairs)", R12(MADD), 32)
  BENCH("vpdpwssd", R12(DPW), 32)
  BENCH("vpdpbusd", R12(DPB), 64)
  }
}
